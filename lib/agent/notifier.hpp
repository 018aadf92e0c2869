#pragma once
// Approver notifications (docs/notifications.md): when a gate opens, every [notify.NAME] its
// leaf's policy names is told — an HTTP POST through the daemon's HttpClient and/or a command
// with the JSON on stdin — with retries and backoff. Nothing here ever waits on the gate or the
// leaf: delivery runs on its own beside them, and each outcome is appended to the leaf's log as
// a notification_sent or notification_failed event (dropped if the store refuses it, e.g. the
// leaf has ended meanwhile).
//
// Threads: loop thread only. Completions (curl, child exit, timers) carry a delivery id and
// are dropped when that delivery is gone.

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "lib/agent/journal.hpp"
#include "lib/config/config.hpp"
#include "lib/http/client.hpp"

namespace harness::agent {

struct Delivery;

class Notifier {
 public:
  // Deliveries (one per notifier and channel of a gate) at once; more are failed at once.
  static constexpr std::size_t k_max_in_flight = 64;

  // `loop`, `http` and `journal` must outlive the Notifier.
  Notifier(uv_loop_t* loop, http::HttpClient& http, Journal& journal, config::ConfigPtr config);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // A reload: gates opening from now on use `config`'s notifiers and policies' notify lists.
  // Deliveries in flight keep the notifier settings they started with.
  void set_config(config::ConfigPtr config);
  // Starts telling the notifiers of `leaf`'s policy (looked up by name in the config in force)
  // about its open gate. Returns at once.
  void gate_opened(const model::Leaf& leaf);
  // Abandons every delivery in flight (requests cancelled, children killed) without writing
  // events; later gates are ignored. For shutdown, before the HttpClient closes. Idempotent.
  void close();
  std::size_t in_flight() const { return m_active.size(); }

 private:
  friend struct Delivery;
  void start(const config::NotifierConfig& target, bool command, const model::Leaf& leaf,
             const std::string& body);
  void attempt(std::uint64_t id);
  void attempt_http(Delivery& d);
  void attempt_command(Delivery& d);
  // One attempt ended: `status` is the HTTP status or exit code (-1: none), `error` empty on
  // success; `final` when retrying cannot help (a 4xx).
  void attempt_done(std::uint64_t id, long status, std::string error, bool final);
  void finish(std::uint64_t id, long status, const std::string& error);

  uv_loop_t* m_loop;
  http::HttpClient& m_http;
  Journal& m_journal;
  config::ConfigPtr m_config;
  std::map<std::uint64_t, std::unique_ptr<Delivery>> m_active;
  std::uint64_t m_next_id = 1;
  std::shared_ptr<int> m_alive = std::make_shared<int>(0);  // callbacks hold a weak_ptr
  bool m_closed = false;
};

}  // namespace harness::agent
