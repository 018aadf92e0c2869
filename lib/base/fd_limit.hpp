#pragma once
// The process's open-file limit (RLIMIT_NOFILE). Every in-flight model call holds a connection
// and every open sandbox shell three pipes, so a daemon under systemd's default soft limit of
// 1024 runs out of descriptors long before it runs out of memory.

#include <cstdint>

#include "lib/base/result.hpp"

namespace harness {

struct FdLimit {
  std::uint64_t soft = 0;
  std::uint64_t hard = 0;
};

// The current limits; internal error when getrlimit fails.
Result<FdLimit> fd_limit();

// Raises the soft limit to the hard one (what nginx and redis do at start) and returns the limits
// before the change; the soft limit stays as it was when setrlimit refuses. Call before threads
// that open descriptors start (the limit is process-wide, the change is not racy, only early).
Result<FdLimit> raise_fd_limit();

}  // namespace harness
