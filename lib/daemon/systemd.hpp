#pragma once
// harnessd under systemd (Type=notify, WatchdogSec=): READY=1 once recovery is done (and after a
// reload, which RELOADING=1 opens), STOPPING=1
// at shutdown, and WATCHDOG=1 from a timer on the event loop at half of $WATCHDOG_USEC, so a
// wedged loop stops the pings and systemd restarts the daemon. Outside systemd (no
// $NOTIFY_SOCKET) every call does nothing. Loop thread only.
//
// Test hook: when $HARNESSD_TEST_WEDGE_SECONDS (1 to 600) is set at start, SIGUSR2 makes the loop
// thread sleep that long: a wedged loop on demand (see docs/operations.md).

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/loop/handle.hpp"
#include "lib/loop/timer.hpp"

namespace harness::daemon {

class Systemd {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and removes them from the environment
  // (no child inherits them), so construct it before any other thread starts. Starts the
  // watchdog pings at once: systemd's watchdog runs during start-up too.
  explicit Systemd(uv_loop_t* loop);
  Systemd(const Systemd&) = delete;
  Systemd& operator=(const Systemd&) = delete;

  // READY=1 with a STATUS= line for `systemctl status`.
  void ready(std::string_view status);
  // RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload wants); ready() ends the reload.
  void reloading();
  // STOPPING=1; the pings go on until this object is destroyed (the timer never holds the loop).
  void stopping();
  // Milliseconds between two WATCHDOG=1 pings; 0 when systemd asked for none.
  std::uint64_t ping_interval_ms() const { return m_interval_ms; }

 private:
  void notify(std::string_view state) const;

  std::string m_socket;
  std::uint64_t m_interval_ms = 0;
  loop::Timer m_watchdog;
  loop::HandlePtr<uv_signal_t> m_wedge;
  int m_wedge_seconds = 0;
};

}  // namespace harness::daemon
