#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <unistd.h>
#include <string>

#include "lib/agent/diff.hpp"

using namespace harness::agent;

namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("diff_test_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(path / name, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  return out;
}

// What GNU `diff -u` prints for the two texts, with git-style labels.
std::string gnu_diff(const std::string& a, const std::string& b, int context = 3) {
  TempDir dir;
  dir.write("old", a);
  dir.write("new", b);
  return run("diff -U" + std::to_string(context) + " --label a/f.txt --label b/f.txt " +
             (dir.path / "old").string() + " " + (dir.path / "new").string());
}

// `old` patched with `diff` by GNU patch.
std::string apply_patch(const std::string& old, const std::string& diff) {
  TempDir dir;
  dir.write("f.txt", old);
  dir.write("p.diff", diff);
  std::string log = run("cd " + dir.path.string() + " && patch -s -p1 < p.diff 2>&1");
  CHECK_MESSAGE(log.empty(), log);
  return dir.read("f.txt");
}

std::string lines(int from, int to) {
  std::string out;
  for (int i = from; i <= to; ++i) out += "line " + std::to_string(i) + "\n";
  return out;
}

}  // namespace

TEST_CASE("unified_diff matches diff -u on simple edits") {
  std::string base = lines(1, 20);
  struct Case {
    std::string old_text, new_text;
    int context = 3;
  };
  std::string mid_changed = base;
  mid_changed.replace(mid_changed.find("line 10\n"), 8, "line ten\n");
  std::string two_far = lines(1, 2) + "X\n" + lines(4, 17) + "Y\n" + lines(19, 20);
  std::string two_near = lines(1, 4) + "X\n" + lines(6, 10) + "Y\n" + lines(12, 20);
  const Case cases[] = {
      {base, mid_changed},                                  // one line changed mid-file
      {base, "first\n" + base},                             // insert at the top
      {base, base + "last\n"},                              // append
      {base, lines(2, 20)},                                 // delete the first line
      {base, lines(1, 19)},                                 // delete the last line
      {base, two_far},                                      // two hunks
      {base, two_near},                                     // changes merged into one hunk
      {base, two_far, 0},                                   // no context
      {base, two_near, 1},                                  // context 1
      {"a\nb\nc", "a\nb\nc\n"},                             // newline added at the end
      {"a\nb\nc\n", "a\nB\nc"},                             // newline removed at the end
      {"", "new\ncontent\n"},                               // from empty
      {"old\ncontent\n", ""},                               // to empty
      {"x\n", "y\n"},                                       // one line files
      {lines(1, 3) + "a\nb\n" + lines(4, 6), lines(1, 6)},  // a removed block
  };
  for (const Case& c : cases) {
    std::string ours = unified_diff(c.old_text, c.new_text, "f.txt", c.context);
    CHECK_MESSAGE(ours == gnu_diff(c.old_text, c.new_text, c.context), ours);
  }
}

TEST_CASE("unified_diff of equal texts is empty; a new file shows /dev/null") {
  CHECK(unified_diff("same\n", "same\n", "x") == "");
  CHECK(unified_diff("", "", "x") == "");
  CHECK(unified_diff("", "a\nb\n", "dir/new.txt", 3, true) ==
        "--- /dev/null\n+++ b/dir/new.txt\n@@ -0,0 +1,2 @@\n+a\n+b\n");
  CHECK(unified_diff("x\n", "y\n", "src/a b.c") ==
        "--- a/src/a b.c\n+++ b/src/a b.c\n@@ -1 +1 @@\n-x\n+y\n");
}

TEST_CASE("unified_diff output applies with patch (random edits)") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 25; ++round) {
    std::vector<std::string> a;
    int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) a.push_back("l" + std::to_string(rng() % 8) + "\n");
    std::vector<std::string> b = a;
    for (int edits = static_cast<int>(rng() % 6); edits-- > 0;) {
      size_t pos = b.empty() ? 0 : rng() % (b.size() + 1);
      switch (rng() % 3) {
        case 0:
          b.insert(b.begin() + static_cast<long>(pos), "new" + std::to_string(rng() % 5) + "\n");
          break;
        case 1:
          if (pos < b.size()) b.erase(b.begin() + static_cast<long>(pos));
          break;
        default:
          if (pos < b.size()) b[pos] = "changed\n";
      }
    }
    std::string old_text, new_text;
    for (auto& l : a) old_text += l;
    for (auto& l : b) new_text += l;
    std::string d = unified_diff(old_text, new_text, "f.txt");
    if (old_text == new_text) {
      CHECK(d.empty());
      continue;
    }
    CHECK_MESSAGE(apply_patch(old_text, d) == new_text, d);
    // A minimal diff: never more changed lines than GNU diff's.
    auto changed = [](const std::string& text) {
      int c = 0;
      std::istringstream in(text);
      for (std::string line; std::getline(in, line);)
        if ((line[0] == '-' || line[0] == '+') && line.rfind("---", 0) && line.rfind("+++", 0)) ++c;
      return c;
    };
    CHECK(changed(d) == changed(gnu_diff(old_text, new_text)));
  }
}

TEST_CASE("very large inputs get one whole-file replacement hunk") {
  std::string big = lines(1, static_cast<int>(k_diff_max_lines) + 1);
  std::string changed = "top\n" + big;
  std::string d = unified_diff(big, changed, "f.txt");
  CHECK(d.find("@@ -1,5001 +1,5002 @@\n") != std::string::npos);
  CHECK(d.find("-line 1\n") != std::string::npos);
  CHECK(d.find("+top\n") != std::string::npos);
  CHECK(apply_patch(big, d) == changed);
}

TEST_CASE("edit_preview shows the diff an edit_file call would make") {
  std::string text = lines(1, 10);
  std::string d = edit_preview(text, "line 5\n", "line five\n", false, "notes.txt");
  CHECK(d ==
        "--- a/notes.txt\n+++ b/notes.txt\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n"
        "-line 5\n+line five\n line 6\n line 7\n line 8\n");

  std::string all = edit_preview("a x\nb\nc x\n", "x", "y", true, "f");
  CHECK(all == "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n-a x\n+a y\n b\n-c x\n+c y\n");
}

TEST_CASE("edit_preview explains an edit that would fail") {
  CHECK(edit_preview("abc\n", "zzz", "y", false, "f") ==
        "edit_file f would fail: `old` was not found\n");
  CHECK(edit_preview("x x\n", "x", "y", false, "f") ==
        "edit_file f would fail: `old` occurs 2 times; add context to make it unique or set "
        "replace_all\n");
  CHECK(edit_preview("x\n", "", "y", false, "f") ==
        "edit_file f would fail: `old` must not be empty\n");
}
