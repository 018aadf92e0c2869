#include <doctest/doctest.h>

#include "lib/sandbox/tool_util.hpp"

using namespace harness;
using namespace harness::sandbox::tool_util;

TEST_CASE("tool paths: relative and absolute paths inside the workspace are normalised") {
  CHECK(*resolve_path("/workspace", "a/b.txt") == "/workspace/a/b.txt");
  CHECK(*resolve_path("/workspace", "./a//b/../c") == "/workspace/a/c");
  CHECK(*resolve_path("/workspace", "/workspace/x") == "/workspace/x");
  CHECK(*resolve_path("/workspace", ".") == "/workspace");
  CHECK(*resolve_path("/workspace", "a/..") == "/workspace");
}

TEST_CASE("tool paths: escapes from the workspace are refused") {
  for (const char* p : {"../etc/passwd", "/etc/passwd", "a/../../x", "/workspace/../etc",
                        "/workspacex/file", "/", ""}) {
    auto r = resolve_path("/workspace", p);
    CHECK_MESSAGE(!r.has_value(), p);
  }
  CHECK(resolve_path("/workspace", "../x").error().message.find("outside the workspace") !=
        std::string::npos);
  CHECK_FALSE(resolve_path("/workspace", std::string("a\0b", 3)).has_value());
}

TEST_CASE("tool paths: display is relative to the workspace") {
  CHECK(display_path("/workspace", "/workspace/a/b") == "a/b");
  CHECK(display_path("/workspace", "/workspace") == ".");
}

TEST_CASE("tool quoting: any string becomes one sh word") {
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
}

TEST_CASE("tool globs: name globs match anywhere, path globs match the path") {
  CHECK(glob_match("*.cpp", "src/a.cpp"));
  CHECK(glob_match("*.cpp", "a.cpp"));
  CHECK_FALSE(glob_match("*.cpp", "a.hpp"));
  CHECK(glob_match("src/*.hpp", "src/x.hpp"));
  CHECK_FALSE(glob_match("src/*.hpp", "lib/x.hpp"));
  CHECK(glob_match("**/*.h", "a.h"));
  CHECK(glob_match("**/*.h", "d/e/a.h"));
}

TEST_CASE("tool lines: cat -n style numbering from any first line") {
  CHECK(number_lines("a\nb", 1) == "     1\ta\n     2\tb\n");
  CHECK(number_lines("x\n", 10) == "    10\tx\n");
  CHECK(number_lines("", 1).empty());
}
