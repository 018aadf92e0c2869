// File operations beneath a directory fd: never through a symlink, never out of the directory.
// Every case runs twice: with openat2 and with the O_NOFOLLOW walk used where openat2 is missing.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lib/base/beneath.hpp"

namespace harness {
namespace {

namespace fs = std::filesystem;

struct Dirs {
  fs::path root;  // holds ws/ (the directory) and outside/ (what must stay untouched)
  fs::path ws, outside;
  UniqueFd fd;
  Dirs() {
    std::string tmpl = (fs::temp_directory_path() / "harness-beneath-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    root = tmpl;
    ws = root / "ws";
    outside = root / "outside";
    fs::create_directories(ws / "sub");
    fs::create_directories(outside);
    write(outside / "canary", "CANARY-secret\n");
    write(ws / "sub" / "file", "inside\n");
    fd.reset(::open(ws.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(fd.valid());
  }
  ~Dirs() {
    detail::force_component_walk(false);
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  static void write(const fs::path& p, const std::string& s) { std::ofstream(p) << s; }
  static std::string read(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Runs the body once with openat2, once with the component walk.
#define BOTH_RESOLVERS()       \
  bool walk = false;           \
  SUBCASE("openat2") {         \
    walk = false;              \
  }                            \
  SUBCASE("O_NOFOLLOW walk") { \
    walk = true;               \
  }                            \
  detail::force_component_walk(walk)

TEST_CASE("beneath: paths are normalised and may not leave the directory") {
  CHECK(*normalize_beneath("") == "");
  CHECK(*normalize_beneath(".") == "");
  CHECK(*normalize_beneath("a/./b//c/") == "a/b/c");
  CHECK(*normalize_beneath("a/../b") == "b");
  CHECK(normalize_beneath("../x").error().code == ErrorCode::forbidden);
  CHECK(normalize_beneath("a/../../x").error().code == ErrorCode::forbidden);
  CHECK(normalize_beneath("/etc/passwd").error().code == ErrorCode::forbidden);
}

TEST_CASE("beneath: ordinary reads and writes, parents created") {
  Dirs d;
  BOTH_RESOLVERS();
  CHECK(*read_file_beneath(d.fd.get(), "sub/file", 1024) == "inside\n");
  CHECK(*read_file_beneath(d.fd.get(), "sub/../sub/./file", 1024) == "inside\n");
  CHECK(read_file_beneath(d.fd.get(), "missing", 1024).error().code == ErrorCode::not_found);
  CHECK(read_file_beneath(d.fd.get(), "sub/file", 3).error().code == ErrorCode::too_large);
  REQUIRE(write_file_beneath(d.fd.get(), "new/deep/f.txt", "hello", 0600));
  CHECK(Dirs::read(d.ws / "new/deep/f.txt") == "hello");
  CHECK((fs::status(d.ws / "new/deep/f.txt").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  REQUIRE(write_file_beneath(d.fd.get(), "new/deep/f.txt", "again"));
  CHECK(Dirs::read(d.ws / "new/deep/f.txt") == "again");
  // No temp file is left behind.
  CHECK(std::distance(fs::directory_iterator(d.ws / "new/deep"), fs::directory_iterator()) == 1);
  CHECK(read_file_beneath(d.fd.get(), "../outside/canary", 1024).error().code ==
        ErrorCode::forbidden);
}

TEST_CASE("beneath: a symlink in the middle of the path is named and not followed") {
  Dirs d;
  BOTH_RESOLVERS();
  fs::create_directory_symlink(d.outside, d.ws / "link");
  auto r = read_file_beneath(d.fd.get(), "link/canary", 1024);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(r.error().message == "link is a symlink to " + d.outside.string() + "; not followed");
  auto w = write_file_beneath(d.fd.get(), "link/planted", "x");
  REQUIRE_FALSE(w.has_value());
  CHECK(contains(w.error().message, "link is a symlink to"));
  CHECK_FALSE(fs::exists(d.outside / "planted"));
  CHECK_FALSE(make_dirs_beneath(d.fd.get(), "link/newdir").has_value());
  CHECK_FALSE(fs::exists(d.outside / "newdir"));
  // Deeper: sub/inner -> ../../outside
  fs::create_directory_symlink("../../outside", d.ws / "sub" / "inner");
  auto deep = read_file_beneath(d.fd.get(), "sub/inner/canary", 1024);
  REQUIRE_FALSE(deep.has_value());
  CHECK(deep.error().message == "sub/inner is a symlink to ../../outside; not followed");
}

TEST_CASE("beneath: an absolute symlink as the last component is not read") {
  Dirs d;
  BOTH_RESOLVERS();
  fs::create_symlink(d.outside / "canary", d.ws / "abs");
  auto r = read_file_beneath(d.fd.get(), "abs", 1024);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(r.error().message ==
        "abs is a symlink to " + (d.outside / "canary").string() + "; not followed");
  CHECK_FALSE(contains(r.error().message, "CANARY"));
  // Even a link that stays inside is not followed: no symlink at all is.
  fs::create_symlink("sub/file", d.ws / "rel");
  CHECK(read_file_beneath(d.fd.get(), "rel", 1024).error().code == ErrorCode::forbidden);
  CHECK(open_beneath(d.fd.get(), "abs", O_PATH).error().code == ErrorCode::forbidden);
}

TEST_CASE("beneath: a dangling symlink is replaced by a write, never written through") {
  Dirs d;
  BOTH_RESOLVERS();
  fs::path target = d.outside / "created-through-link";
  fs::create_symlink(target, d.ws / "dangling");
  auto r = read_file_beneath(d.fd.get(), "dangling", 1024);
  REQUIRE_FALSE(r.has_value());
  CHECK(contains(r.error().message, "dangling is a symlink to " + target.string()));
  CHECK(open_beneath(d.fd.get(), "dangling", O_WRONLY | O_CREAT, 0644).error().code ==
        ErrorCode::forbidden);
  CHECK_FALSE(fs::exists(target));
  REQUIRE(write_file_beneath(d.fd.get(), "dangling", "data"));
  CHECK_FALSE(fs::exists(target));
  CHECK_FALSE(fs::is_symlink(d.ws / "dangling"));
  CHECK(Dirs::read(d.ws / "dangling") == "data");
  // A dangling link in the middle creates nothing at its target either.
  fs::create_directory_symlink(d.outside / "newdir", d.ws / "dd");
  CHECK_FALSE(write_file_beneath(d.fd.get(), "dd/f", "x").has_value());
  CHECK_FALSE(fs::exists(d.outside / "newdir"));
}

TEST_CASE("beneath: special files are refused without blocking; link targets are sanitised") {
  Dirs d;
  BOTH_RESOLVERS();
  REQUIRE(mkfifo((d.ws / "fifo").c_str(), 0644) == 0);
  auto r = read_file_beneath(d.fd.get(), "fifo", 1024);  // would hang on a blocking open
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::invalid);
  CHECK(read_file_beneath(d.fd.get(), "sub", 1024).error().code == ErrorCode::invalid);
  fs::create_symlink("evil\n\x1b[31mtarget", d.ws / "ctl");
  auto c = read_file_beneath(d.fd.get(), "ctl", 1024);
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message == "ctl is a symlink to evil??[31mtarget; not followed");
}

TEST_CASE("beneath: an absolute directory is opened only along a path without symlinks") {
  Dirs d;
  BOTH_RESOLVERS();
  CHECK(open_dir_no_symlinks(d.ws.string()).has_value());
  fs::create_directory_symlink(d.ws, d.root / "wslink");
  auto r = open_dir_no_symlinks((d.root / "wslink" / "sub").string());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(r.error().message ==
        (d.root / "wslink").string() + " is a symlink to " + d.ws.string() + "; not followed");
  CHECK(open_dir_no_symlinks("relative/path").error().code == ErrorCode::invalid);
  CHECK(open_dir_no_symlinks((d.root / "nope").string()).error().code == ErrorCode::not_found);
}

}  // namespace
}  // namespace harness
