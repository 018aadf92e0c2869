#include "lib/base/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace harness {

Result<FdLimit> fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return make_error(ErrorCode::internal,
                      std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  return FdLimit{static_cast<std::uint64_t>(rl.rlim_cur), static_cast<std::uint64_t>(rl.rlim_max)};
}

Result<FdLimit> raise_fd_limit() {
  HARNESS_TRY_ASSIGN(FdLimit before, fd_limit());
  if (before.soft >= before.hard) return before;
  // Linux refuses RLIM_INFINITY for RLIMIT_NOFILE (the ceiling is fs.nr_open), so an infinite
  // hard limit is met with the largest value setrlimit takes.
  rlimit rl{static_cast<rlim_t>(before.hard), static_cast<rlim_t>(before.hard)};
  if (::setrlimit(RLIMIT_NOFILE, &rl) != 0 && rl.rlim_max == RLIM_INFINITY) {
    rl.rlim_cur = 1u << 20;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  return before;
}

}  // namespace harness
