#include "lib/daemon/systemd.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "lib/base/sd_notify.hpp"

namespace harness::daemon {
namespace {

constexpr const char* k_wedge_env = "HARNESSD_TEST_WEDGE_SECONDS";

std::string take_env(const char* name) {
  const char* v = std::getenv(name);
  std::string out = v ? v : "";
  ::unsetenv(name);
  return out;
}

}  // namespace

Systemd::Systemd(uv_loop_t* loop) : m_watchdog(loop) {
  m_socket = take_env("NOTIFY_SOCKET");
  std::string usec = take_env("WATCHDOG_USEC");
  std::string pid = take_env("WATCHDOG_PID");
  // sd_watchdog_enabled(3): ping at half the interval, so one late tick is not yet a miss.
  std::uint64_t interval_us = sd_watchdog_usec(usec.c_str(), pid.c_str(), ::getpid());
  if (interval_us > 0 && !m_socket.empty()) {
    m_interval_ms = std::max<std::uint64_t>(1, interval_us / 2000);
    m_watchdog.start(
        m_interval_ms, [this] { notify("WATCHDOG=1"); }, m_interval_ms);
    m_watchdog.unref();
    spdlog::info("systemd watchdog: pinging every {} ms", m_interval_ms);
  }

  int wedge = std::atoi(take_env(k_wedge_env).c_str());
  if (wedge < 1 || wedge > 600) return;
  m_wedge_seconds = wedge;
  m_wedge = loop::HandlePtr<uv_signal_t>(new uv_signal_t);
  uv_signal_init(loop, m_wedge.get());
  m_wedge->data = this;
  uv_signal_start(
      m_wedge.get(),
      [](uv_signal_t* sig, int) noexcept {
        auto* self = static_cast<Systemd*>(sig->data);
        if (!self) return;
        spdlog::warn("SIGUSR2: test hook {}: blocking the event loop for {} s", k_wedge_env,
                     self->m_wedge_seconds);
        std::this_thread::sleep_for(std::chrono::seconds(self->m_wedge_seconds));
        spdlog::warn("test hook {}: the event loop runs again", k_wedge_env);
      },
      SIGUSR2);
  uv_unref(reinterpret_cast<uv_handle_t*>(m_wedge.get()));
  spdlog::warn("test hook {} is set: SIGUSR2 blocks the event loop for {} s", k_wedge_env, wedge);
}

void Systemd::ready(std::string_view status) {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void Systemd::reloading() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 +
              static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=reloading the config");
}

void Systemd::stopping() {
  notify("STOPPING=1\nSTATUS=shutting down");
}

void Systemd::notify(std::string_view state) const {
  if (m_socket.empty()) return;
  if (!sd_notify_to(m_socket, state))
    spdlog::debug("sd_notify to {} failed: {}", m_socket, state.substr(0, state.find('\n')));
}

}  // namespace harness::daemon
