// The list of a leaf's workspace changes that ends `run` and `logs`.
#include <doctest/doctest.h>

#include "lib/client/changes_format.hpp"

using namespace harness::client;

namespace {
const Style k_plain{};

Json file(const std::string& path, const char* change, std::int64_t size,
          const char* type = "file") {
  return Json{{"path", path}, {"change", change}, {"type", type}, {"size", size}};
}
}  // namespace

TEST_CASE("workspace changes: one line per file with its mark and size, under a legend") {
  Json d{{"files", Json::array({file("new.txt", "created", 6), file("src/a.c", "modified", 1234),
                                file("link", "created", 9, "symlink")})},
         {"count", 3},
         {"truncated", false}};
  CHECK(format_workspace_changes(d, k_plain) ==
        "3 files changed in the workspace (+ created, ~ modified):\n"
        "  + new.txt (6 B)\n"
        "  ~ src/a.c (1.2 kB)\n"
        "  + link (symlink)\n");
}

TEST_CASE("workspace changes: nothing for no files or a malformed event") {
  CHECK(format_workspace_changes(Json{{"files", Json::array()}, {"count", 0}}, k_plain).empty());
  CHECK(format_workspace_changes(Json::object(), k_plain).empty());
  CHECK(format_workspace_changes(Json{{"files", "x"}}, k_plain).empty());
}

TEST_CASE("workspace changes: at most max_files lines, then how many more") {
  Json files = Json::array();
  for (int i = 0; i < 30; ++i) files.push_back(file("f" + std::to_string(i), "changed", 1));
  std::string out = format_workspace_changes(
      Json{{"files", files}, {"count", 250}, {"truncated", true}}, k_plain, 20);
  CHECK(out.rfind("250 files changed in the workspace (* changed):\n", 0) == 0);
  CHECK(out.find("  * f19 (1 B)\n") != std::string::npos);
  CHECK(out.find("f20") == std::string::npos);
  CHECK(out.find("  … and 230 more\n") != std::string::npos);
}

TEST_CASE("workspace changes: a walk that stopped says there may be more") {
  Json d{{"files", Json::array({file("a", "created", 1)})}, {"count", 1}, {"truncated", true}};
  CHECK(format_workspace_changes(d, k_plain).find("… and maybe more") != std::string::npos);
}

TEST_CASE("workspace changes: control characters in a name cannot drive the terminal") {
  Json d{{"files", Json::array({file("evil\x1b]0;x\x07name", "created", 1)})}, {"count", 1}};
  std::string out = format_workspace_changes(d, k_plain);
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK(out.find("evil?]0;x?name") != std::string::npos);
}

TEST_CASE("workspace changes: sizes in powers of 1000") {
  CHECK(format_size(0) == "0 B");
  CHECK(format_size(999) == "999 B");
  CHECK(format_size(1000) == "1.0 kB");
  CHECK(format_size(5'300'000) == "5.3 MB");
  CHECK(format_size(999'960) == "1.0 MB");
}
