#include "lib/base/sd_notify.hpp"

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

namespace harness {
namespace {

// A datagram socket bound at `name` (a path, or "@x" for the abstract namespace), like
// systemd's notify socket.
struct Receiver {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::string name;
  explicit Receiver(std::string n) : name(std::move(n)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
  }
  ~Receiver() {
    ::close(fd);
    if (name[0] == '/') ::unlink(name.c_str());
  }
  std::string receive() {
    char buf[512];
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n < 0 ? "<nothing>" : std::string(buf, static_cast<size_t>(n));
  }
};

TEST_CASE("sd_notify: one datagram to a path or an abstract socket") {
  Receiver path("/tmp/harness-notify-test-" + std::to_string(::getpid()));
  CHECK(sd_notify_to(path.name, "READY=1\nSTATUS=ok"));
  CHECK(path.receive() == "READY=1\nSTATUS=ok");

  Receiver abstract("@harness-notify-test-" + std::to_string(::getpid()));
  CHECK(sd_notify_to(abstract.name, "WATCHDOG=1"));
  CHECK(abstract.receive() == "WATCHDOG=1");
}

TEST_CASE("sd_notify: no socket, a relative or absent one is a quiet failure") {
  CHECK_FALSE(sd_notify_to("", "READY=1"));
  CHECK_FALSE(sd_notify_to("@", "READY=1"));
  CHECK_FALSE(sd_notify_to("relative/sock", "READY=1"));
  CHECK_FALSE(sd_notify_to("/nonexistent/notify.sock", "READY=1"));
  CHECK_FALSE(sd_notify_to("/" + std::string(200, 'x'), "READY=1"));
}

TEST_CASE("sd_notify: the watchdog interval, honouring WATCHDOG_PID") {
  CHECK(sd_watchdog_usec("30000000", nullptr, 42) == 30'000'000);
  CHECK(sd_watchdog_usec("200000", "42", 42) == 200'000);
  CHECK(sd_watchdog_usec("200000", "", 42) == 200'000);
  CHECK(sd_watchdog_usec("200000", "43", 42) == 0);  // meant for another process
  CHECK(sd_watchdog_usec("200000", "4x", 42) == 0);
  CHECK(sd_watchdog_usec(nullptr, nullptr, 42) == 0);
  CHECK(sd_watchdog_usec("", nullptr, 42) == 0);
  CHECK(sd_watchdog_usec("0", nullptr, 42) == 0);
  CHECK(sd_watchdog_usec("-5", nullptr, 42) == 0);
  CHECK(sd_watchdog_usec("12s", nullptr, 42) == 0);
}

}  // namespace
}  // namespace harness
