// The walk that lists a workspace's changes: what changed since a time, never through a symlink,
// within its limits.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "lib/base/recent_files.hpp"
#include "lib/base/time.hpp"
#include "lib/base/unique_fd.hpp"

namespace harness {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& s) {
  std::ofstream(p) << s;
}

// File times come from the kernel's coarse clock (up to a tick behind): keep clear of `since`.
void pause_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// ws/ holds old files (untouched since before `since`), then new and modified ones; outside/
// is reachable only through a symlink.
struct Tree {
  fs::path root, ws, outside;
  UniqueFd fd;
  std::int64_t since = 0;
  Tree() {
    std::string tmpl = (fs::temp_directory_path() / "harness-recent-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    root = tmpl;
    ws = root / "ws";
    outside = root / "outside";
    fs::create_directories(ws / "src");
    fs::create_directories(ws / ".git");
    fs::create_directories(outside);
    write(ws / "old.txt", "old\n");
    write(ws / "src" / "edit.c", "int a;\n");
    // An mtime in the past, as a checkout leaves it (ctime stays the setup time).
    timespec past[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
    REQUIRE(utimensat(AT_FDCWD, (ws / "old.txt").c_str(), past, 0) == 0);
    pause_ms(50);
    since = now_ms();
    pause_ms(20);
    write(ws / "new.txt", "hello\n");
    write(ws / "src" / "edit.c", "int a = 1;\n");
    fs::create_directories(ws / "a" / "b");
    write(ws / "a" / "b" / "deep.h", "x");
    write(ws / ".git" / "index", "git's own");
    write(outside / "secret", "not listed");
    fs::create_symlink(outside, ws / "link");
    fd.reset(::open(ws.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd.valid());
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  // Whether this filesystem reports birth times (else created/modified read "changed").
  bool has_btime() const {
    struct statx st {};
    return statx(AT_FDCWD, (ws / "new.txt").c_str(), 0, STATX_BTIME, &st) == 0 &&
           (st.stx_mask & STATX_BTIME);
  }
};

std::vector<std::string> paths(const RecentFiles& r) {
  std::vector<std::string> out;
  for (const auto& f : r.files) out.push_back(f.path);
  return out;
}

RecentFilesLimits skip_git() {
  RecentFilesLimits lim;
  lim.skip_dirs = {".git"};
  return lim;
}

}  // namespace

TEST_CASE("recent files: created and modified files, in path order, not the untouched one") {
  Tree t;
  auto r = find_recent_files(t.fd.get(), t.since, skip_git());
  REQUIRE(r.has_value());
  CHECK(paths(*r) == std::vector<std::string>{"a/b/deep.h", "link", "new.txt", "src/edit.c"});
  CHECK(r->count == 4);
  CHECK_FALSE(r->truncated());
  std::string created = t.has_btime() ? "created" : "changed";
  std::string modified = t.has_btime() ? "modified" : "changed";
  CHECK(to_string(r->files[2].change) == created);
  CHECK(r->files[2].size == 6);
  CHECK_FALSE(r->files[2].symlink);
  CHECK(to_string(r->files[3].change) == modified);
  CHECK(r->files[3].size == 11);
}

TEST_CASE("recent files: a symlink is listed as itself, never followed") {
  Tree t;
  auto r = find_recent_files(t.fd.get(), t.since, skip_git());
  REQUIRE(r.has_value());
  const RecentFile& link = r->files[1];
  CHECK(link.path == "link");
  CHECK(link.symlink);
  CHECK(link.size == static_cast<std::int64_t>(t.outside.string().size()));
  for (const auto& f : r->files) CHECK(f.path.find("secret") == std::string::npos);
}

TEST_CASE("recent files: a skipped directory is not entered; without the skip it is") {
  Tree t;
  auto all = find_recent_files(t.fd.get(), t.since, {});
  REQUIRE(all.has_value());
  CHECK(paths(*all).front() == ".git/index");
  CHECK(all->count == 5);
}

TEST_CASE("recent files: the list, the entries visited and the depth are capped") {
  Tree t;
  SUBCASE("list") {
    RecentFilesLimits lim = skip_git();
    lim.max_listed = 2;
    auto r = find_recent_files(t.fd.get(), t.since, lim);
    REQUIRE(r.has_value());
    CHECK(paths(*r) == std::vector<std::string>{"a/b/deep.h", "link"});
    CHECK(r->count == 4);
    CHECK_FALSE(r->walk_stopped);
    CHECK(r->truncated());
  }
  SUBCASE("entries visited") {
    RecentFilesLimits lim = skip_git();
    lim.max_visited = 3;  // of 6 entries at the top and 3 below
    auto r = find_recent_files(t.fd.get(), t.since, lim);
    REQUIRE(r.has_value());
    CHECK(r->files.size() < 4);
    CHECK(r->walk_stopped);
    CHECK(r->truncated());
  }
  SUBCASE("depth") {
    RecentFilesLimits lim = skip_git();
    lim.max_depth = 1;  // a/ is entered, a/b/ is not
    auto r = find_recent_files(t.fd.get(), t.since, lim);
    REQUIRE(r.has_value());
    CHECK(paths(*r) == std::vector<std::string>{"link", "new.txt", "src/edit.c"});
    CHECK(r->walk_stopped);
  }
}

TEST_CASE("recent files: nothing changed since a later time") {
  Tree t;
  pause_ms(20);
  auto r = find_recent_files(t.fd.get(), now_ms() + 1000, skip_git());
  REQUIRE(r.has_value());
  CHECK(r->files.empty());
  CHECK(r->count == 0);
  CHECK_FALSE(r->truncated());
}

}  // namespace harness
