#include "lib/daemon/state_dir.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include "lib/base/fs.hpp"
#include "tests/unit/store/store_fixture.hpp"

namespace harness::daemon {
namespace {

TEST_CASE("state lock: one holder at a time; the file names it; released on destruction") {
  store::test::TempDir dir;
  std::optional<Result<StateLock>> first(StateLock::acquire(dir.path));
  REQUIRE(first->has_value());
  auto content = read_file(dir.path + "/harnessd.lock");
  REQUIRE(content.has_value());
  CHECK(*content == std::to_string(::getpid()) + "\n");

  // flock conflicts between open file descriptions, also within one process.
  auto second = StateLock::acquire(dir.path);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == ErrorCode::unavailable);
  CHECK(second.error().message.find(dir.path + "/harnessd.lock") != std::string::npos);
  CHECK(second.error().message.find("pid " + std::to_string(::getpid())) != std::string::npos);

  first.reset();
  CHECK(StateLock::acquire(dir.path).has_value());
}

TEST_CASE(
    "state lock: a holder that lets go within a moment (a dead daemon's child) is waited for") {
  store::test::TempDir dir;
  // Another open file description holds it, as a forked child of a killed daemon would.
  int held = ::open((dir.path + "/harnessd.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(held >= 0);
  REQUIRE(::flock(held, LOCK_EX | LOCK_NB) == 0);
  std::thread release([held] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::close(held);
  });
  auto lock = StateLock::acquire(dir.path);
  release.join();
  CHECK(lock.has_value());
}

TEST_CASE("clean-shutdown marker: taken once per write") {
  store::test::TempDir dir;
  CHECK_FALSE(take_clean_shutdown_marker(dir.path));
  REQUIRE(write_clean_shutdown_marker(dir.path).has_value());
  CHECK(take_clean_shutdown_marker(dir.path));
  CHECK_FALSE(take_clean_shutdown_marker(dir.path));
}

}  // namespace
}  // namespace harness::daemon
