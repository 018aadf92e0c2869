#include "lib/base/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstring>

namespace harness {
namespace {

bool parse_u64(const char* s, std::uint64_t& out) {
  if (!s || !*s) return false;
  const char* end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

bool sd_notify_to(const std::string& socket_path, std::string_view state) {
  sockaddr_un addr{};
  // "@name" is abstract: a leading NUL and no terminator, the length says where it ends.
  if (socket_path.size() < 2 || socket_path.size() > sizeof(addr.sun_path)) return false;
  if (socket_path[0] != '/' && socket_path[0] != '@') return false;
  if (socket_path[0] == '/' && socket_path.size() == sizeof(addr.sun_path)) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.data(), socket_path.size());
  if (socket_path[0] == '@') addr.sun_path[0] = '\0';
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size());

  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t n;
  do {
    n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&addr), len);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  return n == static_cast<ssize_t>(state.size());
}

std::uint64_t sd_watchdog_usec(const char* watchdog_usec, const char* watchdog_pid, pid_t self) {
  std::uint64_t usec = 0;
  if (!parse_u64(watchdog_usec, usec) || usec == 0) return 0;
  if (watchdog_pid && *watchdog_pid) {
    std::uint64_t pid = 0;
    if (!parse_u64(watchdog_pid, pid) || pid != static_cast<std::uint64_t>(self)) return 0;
  }
  return usec;
}

}  // namespace harness
