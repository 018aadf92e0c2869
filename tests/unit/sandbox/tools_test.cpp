#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/base/utf8.hpp"
#include "lib/sandbox/tools.hpp"
#include "tests/unit/sandbox/sandbox_fixture.hpp"

using namespace harness;
using namespace harness::sandbox;
using harness::sandbox::testing::SandboxFixture;

namespace {

struct ToolFixture : SandboxFixture {
  ToolLimits lim{30'000, 32 * 1024};

  Result<ToolOutcome> call(const std::string& name, model::Json input) {
    std::optional<Result<ToolOutcome>> out;
    run_tool(*channel, *driver, model::ToolCall{"call_1", name, std::move(input)}, lim,
             [&](Result<ToolOutcome> r) { out.emplace(std::move(r)); });
    run_until([&] { return out.has_value(); });
    return std::move(*out);
  }
  // The outcome, which must not be a sandbox failure.
  ToolOutcome ok(const std::string& name, model::Json input) {
    auto r = call(name, std::move(input));
    if (!r) FAIL(r.error().message);
    return *r;
  }
  std::string host_file(const std::string& rel) {
    std::ifstream in(workspace + "/" + rel, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  void put(const std::string& rel, const std::string& content) {
    std::filesystem::create_directories(std::filesystem::path(workspace + "/" + rel).parent_path());
    std::ofstream(workspace + "/" + rel, std::ios::binary) << content;
  }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("tools: specs cover the six tools with object schemas; read-only set") {
  auto specs = tool_specs();
  std::vector<std::string> names;
  for (const auto& s : specs) {
    names.push_back(s.name);
    CHECK(s.input_schema["type"] == "object");
    CHECK_FALSE(s.description.empty());
  }
  CHECK(names == std::vector<std::string>{"bash", "read_file", "write_file", "edit_file",
                                          "list_files", "grep"});
  CHECK(specs[0].input_schema["required"] == model::Json::array({"command"}));
  CHECK(is_read_only("read_file"));
  CHECK(is_read_only("grep"));
  CHECK(is_read_only("list_files"));
  CHECK_FALSE(is_read_only("bash"));
  CHECK_FALSE(is_read_only("write_file"));
  CHECK_FALSE(is_read_only("edit_file"));
}

TEST_CASE("tools: bad input is an error outcome and runs nothing") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  auto missing = f.ok("bash", model::Json::object());
  CHECK(missing.is_error);
  CHECK(missing.content == "bash: `command` is required (a string)");
  CHECK(f.ok("read_file", {{"path", 5}}).is_error);
  CHECK(f.ok("nope", model::Json::object()).content == "unknown tool nope");
  auto escape = f.ok("write_file", {{"path", "../escape.txt"}, {"content", "x"}});
  CHECK(escape.is_error);
  CHECK(contains(escape.content, "outside the workspace"));
  CHECK(f.ok("read_file", {{"path", "/etc/passwd"}}).is_error);
  CHECK(f.ok("list_files", {{"path", "/"}}).is_error);
  CHECK(f.channel->spawn_count() == 0);  // nothing was run
}

TEST_CASE("tools: bash reports exit code, stdout and stderr; timeouts are errors") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  auto r = f.ok("bash", {{"command", "echo out; echo err >&2; exit 4"}});
  CHECK_FALSE(r.is_error);
  CHECK(r.exit_code == 4);
  CHECK(r.content == "exit code 4\n--- stdout ---\nout\n--- stderr ---\nerr\n");
  CHECK(f.ok("bash", {{"command", "true"}}).content == "exit code 0\n(no output)\n");

  auto t = f.ok("bash", {{"command", "sleep 100"}, {"timeout_s", 1}});
  CHECK(t.is_error);
  CHECK(contains(t.content, "timed out after 1s"));
  // The model may lower the timeout but not raise it beyond the profile.
  f.lim.timeout_ms = 1000;
  auto capped = f.ok("bash", {{"command", "sleep 100"}, {"timeout_s", 1000}});
  CHECK(contains(capped.content, "timed out after 1s"));
}

TEST_CASE("tools: write_file then read_file, binary-safe, parents created") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  const char raw[] = "line one\nline two\n\0\xff bytes\nlast";
  std::string content(raw, sizeof(raw) - 1);
  auto w = f.ok("write_file", {{"path", "deep/dir/f.txt"}, {"content", content}});
  CHECK_FALSE(w.is_error);
  CHECK(w.content == "wrote 31 bytes to deep/dir/f.txt");
  CHECK(f.host_file("deep/dir/f.txt") == content);

  f.put("lines.txt", "a\nb\nc\nd\ne\n");
  CHECK(f.ok("read_file", {{"path", "lines.txt"}}).content ==
        "     1\ta\n     2\tb\n     3\tc\n     4\td\n     5\te\n");
  CHECK(
      f.ok("read_file", {{"path", "/workspace/lines.txt"}, {"offset", 2}, {"limit", 2}}).content ==
      "     2\tb\n     3\tc\n[more lines follow; continue with offset=4]\n");
  CHECK(f.ok("read_file", {{"path", "lines.txt"}, {"offset", 5}}).content == "     5\te\n");
  f.put("empty.txt", "");
  CHECK(f.ok("read_file", {{"path", "empty.txt"}}).content == "(empty file)");

  auto missing = f.ok("read_file", {{"path", "nope.txt"}});
  CHECK(missing.is_error);
  CHECK(missing.content == "read_file nope.txt: no such file");
  CHECK(f.ok("read_file", {{"path", "deep"}}).content == "read_file deep: is a directory");
  CHECK(f.ok("write_file", {{"path", "empty2"}, {"content", ""}}).content ==
        "wrote 0 bytes to empty2");
}

TEST_CASE("tools: edit_file replaces exactly once, or all, and refuses ambiguity") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  f.put("src/a.c", "int x = 1;\nint y = 1;\n");
  auto amb = f.ok("edit_file", {{"path", "src/a.c"}, {"old", "= 1"}, {"new", "= 2"}});
  CHECK(amb.is_error);
  CHECK(contains(amb.content, "occurs 2 times"));
  CHECK(f.host_file("src/a.c") == "int x = 1;\nint y = 1;\n");

  auto one = f.ok("edit_file", {{"path", "src/a.c"}, {"old", "int y = 1"}, {"new", "int y = 3"}});
  CHECK_FALSE(one.is_error);
  CHECK(one.content == "replaced 1 occurrence in src/a.c");
  CHECK(f.host_file("src/a.c") == "int x = 1;\nint y = 3;\n");

  auto all = f.ok("edit_file",
                  {{"path", "src/a.c"}, {"old", "int"}, {"new", "long"}, {"replace_all", true}});
  CHECK(all.content == "replaced 2 occurrences in src/a.c");
  CHECK(f.host_file("src/a.c") == "long x = 1;\nlong y = 3;\n");

  auto absent = f.ok("edit_file", {{"path", "src/a.c"}, {"old", "zzz"}, {"new", "q"}});
  CHECK(absent.is_error);
  CHECK(contains(absent.content, "not found"));
  CHECK(f.ok("edit_file", {{"path", "src/none.c"}, {"old", "a"}, {"new", "b"}}).is_error);
  CHECK(f.ok("edit_file", {{"path", "../../etc/passwd"}, {"old", "a"}, {"new", "b"}}).is_error);
}

TEST_CASE("tools: list_files lists sorted files, skips .git, filters by glob") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  f.put("b.py", "");
  f.put("a.txt", "");
  f.put("src/c.py", "");
  f.put(".git/config", "");
  CHECK(f.ok("list_files", model::Json::object()).content == "a.txt\nb.py\nsrc/c.py\n");
  CHECK(f.ok("list_files", {{"glob", "*.py"}}).content == "b.py\nsrc/c.py\n");
  CHECK(f.ok("list_files", {{"path", "src"}}).content == "src/c.py\n");
  CHECK(f.ok("list_files", {{"glob", "*.rs"}}).content == "no files match *.rs\n");
  auto missing = f.ok("list_files", {{"path", "nope"}});
  CHECK(missing.is_error);
  CHECK(contains(missing.content, "no such file or directory"));
}

TEST_CASE("tools: grep returns file:line:text, honours glob, says no matches") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  f.put("a.py", "import os\nprint('hello')\n");
  f.put("src/b.txt", "say hello\nbye\n");
  f.put(".git/HEAD", "hello from git\n");
  auto all = f.ok("grep", {{"pattern", "hel+o"}});
  CHECK_FALSE(all.is_error);
  CHECK(all.content == "a.py:2:print('hello')\nsrc/b.txt:1:say hello\n");
  CHECK(f.ok("grep", {{"pattern", "hello"}, {"glob", "*.txt"}}).content ==
        "src/b.txt:1:say hello\n");
  CHECK(f.ok("grep", {{"pattern", "bye"}, {"path", "src"}}).content == "src/b.txt:2:bye\n");
  auto none = f.ok("grep", {{"pattern", "absent-text"}});
  CHECK_FALSE(none.is_error);
  CHECK(none.content == "no matches\n");
  CHECK(f.ok("grep", {{"pattern", "x"}, {"path", "nope"}}).is_error);
}

TEST_CASE("tools: output that is not UTF-8 reaches the model repaired, whatever the tool") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  const std::string fffd = "\xEF\xBF\xBD";
  auto out = f.ok("bash", {{"command", "printf 'a\\377\\376b'; printf 'e\\300' >&2"}});
  CHECK(out.content ==
        "exit code 0\n--- stdout ---\na" + fffd + fffd + "b\n--- stderr ---\ne" + fffd + "\n");
  auto noise = f.ok("bash", {{"command", "head -c 4000 /dev/urandom"}});
  CHECK(valid_utf8(noise.content));
  f.put("caf\xE9.txt", "line one\n");
  f.put("data.txt", "line \xFF two\n");
  CHECK(f.ok("list_files", model::Json::object()).content == "caf" + fffd + ".txt\ndata.txt\n");
  CHECK(f.ok("read_file", {{"path", "caf\xE9.txt"}}).content == "     1\tline one\n");
  CHECK(f.ok("read_file", {{"path", "data.txt"}}).content == "     1\tline " + fffd + " two\n");
  CHECK(f.ok("grep", {{"pattern", "one"}}).content == "caf" + fffd + ".txt:1:line one\n");
}

TEST_CASE("tools: a sandbox that cannot start is an Error, not an outcome") {
  ToolFixture f;
  LeafContext ctx{"lf", f.workspace};
  auto argv = *f.driver->shell_argv(ctx);
  argv[0] = "/nonexistent/bwrap";
  f.open(argv, sandbox_env(f.profile), f.driver->inherited_fds(ctx));
  auto r = f.call("bash", {{"command", "echo hi"}});
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::unavailable);
}

TEST_CASE("tools: every tool works with only busybox sh and applets") {
  SKIP_WITHOUT_BWRAP();
  ToolFixture f;
  SKIP_UNLESS(f.use_busybox_only(), "/bin/busybox (busybox-static) is not installed");
  f.put("a.py", "x = 1\nhello = 2\n");
  f.put("sub/b.py", "hello\n");
  CHECK(f.ok("bash", {{"command", "echo hi"}}).content == "exit code 0\n--- stdout ---\nhi\n");
  CHECK(f.ok("write_file", {{"path", "new/c.txt"}, {"content", "one\ntwo\n"}}).content ==
        "wrote 8 bytes to new/c.txt");
  CHECK(f.ok("read_file", {{"path", "new/c.txt"}, {"offset", 2}}).content == "     2\ttwo\n");
  CHECK(f.ok("edit_file", {{"path", "new/c.txt"}, {"old", "two"}, {"new", "2"}}).content ==
        "replaced 1 occurrence in new/c.txt");
  CHECK(f.host_file("new/c.txt") == "one\n2\n");
  CHECK(f.ok("list_files", {{"glob", "*.py"}}).content == "a.py\nsub/b.py\n");
  CHECK(f.ok("grep", {{"pattern", "^hel+o"}}).content == "a.py:2:hello = 2\nsub/b.py:1:hello\n");
  CHECK(f.ok("grep", {{"pattern", "zzz"}}).content == "no matches\n");
  CHECK(f.channel->spawn_count() == 1);
}
