#pragma once
// What harnessd keeps in its state dir about itself, beside the store and the envelopes:
// - STATE/harnessd.lock: an exclusive flock held for the daemon's lifetime, so two daemons never
//   run the same leaves; it holds the holder's pid. The kernel drops the lock when the holder
//   dies, however it dies, so a stale file never blocks a restart.
// - STATE/clean-shutdown: written when a daemon stopped cleanly (SIGTERM, SIGINT), removed by
//   the next start, which then recovers running leaves "after shutdown" rather than "after crash".
// Blocking file operations: call them at startup and after the loop has stopped.

#include <string>

#include "lib/base/result.hpp"

namespace harness::daemon {

class StateLock {
 public:
  // Takes the lock, waiting up to a second for a holder to let go (a crashed daemon's child
  // between fork and exec). unavailable when another process still holds it: the message names
  // the lock file and the holder's pid; internal when the file cannot be opened.
  static Result<StateLock> acquire(const std::string& state_dir);
  StateLock(StateLock&& o) noexcept;
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  // Releases the lock (closes the file; the file itself stays).
  ~StateLock();

 private:
  explicit StateLock(int fd) : m_fd(fd) {}
  int m_fd = -1;
};

// True when the previous daemon on this state dir stopped cleanly; removes the marker, so a
// crash of this run is seen as one by the next.
bool take_clean_shutdown_marker(const std::string& state_dir);
// Records that this daemon stopped cleanly, for the next start.
Status write_clean_shutdown_marker(const std::string& state_dir);

}  // namespace harness::daemon
