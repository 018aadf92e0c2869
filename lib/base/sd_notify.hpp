#pragma once
// systemd's service notification protocol (sd_notify(3)) without libsystemd: one datagram per
// message to the unix socket named by $NOTIFY_SOCKET. Any thread; nothing here blocks.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace harness {

// Sends `state` ("READY=1", "WATCHDOG=1", "STOPPING=1"…) as one datagram to `socket_path`: a
// filesystem path, or "@name" for the abstract namespace. Returns false when the path is empty,
// too long, or the send failed (never blocks: a full receiver drops the message).
bool sd_notify_to(const std::string& socket_path, std::string_view state);

// The watchdog interval in microseconds given by `watchdog_usec` ($WATCHDOG_USEC), or 0 when it
// is null, not a positive number, or `watchdog_pid` ($WATCHDOG_PID) is set and names a process
// other than `self`.
std::uint64_t sd_watchdog_usec(const char* watchdog_usec, const char* watchdog_pid, pid_t self);

}  // namespace harness
