#include "lib/daemon/state_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "lib/base/fs.hpp"

namespace harness::daemon {
namespace {
constexpr const char* k_lock_file = "/harnessd.lock";
constexpr const char* k_clean_marker = "/clean-shutdown";
constexpr int k_lock_tries = 20;  // × 50 ms
constexpr useconds_t k_lock_retry_us = 50'000;

// The pid the holder wrote, or "unknown" (it may be between taking the lock and writing it).
std::string holder_pid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? "unknown" : pid;
}
}  // namespace

Result<StateLock> StateLock::acquire(const std::string& state_dir) {
  std::string path = state_dir + k_lock_file;
  // O_CLOEXEC: sandboxes and tools must not inherit the lock and keep it after the daemon died.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(ErrorCode::internal,
                      "cannot open the lock file " + path + ": " + std::strerror(errno));
  // A daemon killed while it forked a sandbox leaves a child that holds the lock until its exec
  // closes it (O_CLOEXEC): a moment, longer on a loaded machine. A restart right after a crash
  // waits that moment out; a live daemon still holds the lock after it.
  int rc = -1, e = 0;
  for (int i = 0; i < k_lock_tries; ++i) {
    if ((rc = ::flock(fd, LOCK_EX | LOCK_NB)) == 0 || (e = errno) != EWOULDBLOCK) break;
    if (i + 1 < k_lock_tries) ::usleep(k_lock_retry_us);
  }
  if (rc != 0) {
    std::string pid = holder_pid(fd);
    ::close(fd);
    if (e == EWOULDBLOCK)
      return make_error(ErrorCode::unavailable,
                        "another harnessd (pid " + pid + ") holds " + path +
                            ": one daemon per state dir; stop it or use another --state-dir");
    return make_error(ErrorCode::internal, "cannot lock " + path + ": " + std::strerror(e));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; a second daemon just cannot name us.
  }
  return StateLock(fd);
}

StateLock::StateLock(StateLock&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}

StateLock::~StateLock() {
  if (m_fd >= 0) ::close(m_fd);
}

bool take_clean_shutdown_marker(const std::string& state_dir) {
  if (::unlink((state_dir + k_clean_marker).c_str()) != 0) return false;
  // Make the removal durable before anything runs: a crash from now on must read as one.
  int dfd = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

Status write_clean_shutdown_marker(const std::string& state_dir) {
  return write_file_atomic(state_dir + k_clean_marker, "");
}

}  // namespace harness::daemon
