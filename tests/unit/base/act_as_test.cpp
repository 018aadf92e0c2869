// ActAs: one thread takes an account's file permissions and gives them back. Needs root (the
// daemon's case); as anyone else ActAs changes nothing, which is checked instead.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "lib/base/act_as.hpp"
#include "lib/base/unique_fd.hpp"

namespace harness {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t k_nobody = 65534;

Account nobody() {
  return Account{k_nobody, k_nobody, {k_nobody}, "nobody"};
}

bool can_open(const fs::path& p) {
  return UniqueFd(::open(p.c_str(), O_RDONLY | O_CLOEXEC)).valid();
}

TEST_CASE("act_as: the thread gets the account's permissions, then its own back") {
  std::string tmpl = (fs::temp_directory_path() / "harness-actas-XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  fs::path dir = tmpl;  // 0700, the test's own
  std::ofstream(dir / "secret") << "s";
  fs::path open_dir = dir / "shared";
  fs::create_directory(open_dir);
  if (geteuid() != 0) {
    ActAs as(nobody());
    CHECK(as.status().has_value());
    CHECK(can_open(dir / "secret"));  // not root: nothing changes
    fs::remove_all(dir);
    return;
  }
  REQUIRE(chown(open_dir.c_str(), k_nobody, k_nobody) == 0);
  REQUIRE(chmod(dir.c_str(), 0711) == 0);
  REQUIRE(chmod((dir / "secret").c_str(), 0600) == 0);
  int dumpable_before = prctl(PR_GET_DUMPABLE);
  // Another thread, started before (a new thread copies its creator's credentials), keeps
  // root's rights meanwhile.
  std::promise<void> go;
  std::future<bool> other = std::async(std::launch::async, [&, started = go.get_future()] {
    started.wait();
    return can_open(dir / "secret");
  });
  {
    ActAs as(nobody());
    REQUIRE(as.status().has_value());
    CHECK_FALSE(can_open(dir / "secret"));  // 0600 root: nobody may not read it
    go.set_value();
    CHECK(other.get());
    std::ofstream(open_dir / "made") << "x";
  }
  CHECK(can_open(dir / "secret"));
  // The fsuid change made the process undumpable; it is dumpable again, so children without
  // CAP_SYS_PTRACE (harnessd.service) can still open /proc/<daemon>/... as before.
  CHECK(prctl(PR_GET_DUMPABLE) == dumpable_before);
  struct stat st {};
  REQUIRE(stat((open_dir / "made").c_str(), &st) == 0);
  CHECK(st.st_uid == k_nobody);
  CHECK(st.st_gid == k_nobody);
  {
    ActAs none(std::nullopt);
    CHECK(can_open(dir / "secret"));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace harness
