// Delivery of approver notifications. One Delivery per (gate, notifier, channel): it makes up
// to `attempts` tries, waiting retry_backoff, then 4x that, ... (capped) between them; a 2xx or
// exit status 0 is success, a 3xx or 4xx is final, anything else (connection error, timeout, 5xx, a
// failed command) is tried again. The outcome is one event on the leaf.
//
// Commands run as the daemon's own user (they are the operator's, from the config, never user
// input), in "/", with a fixed minimal environment: the daemon's own (API keys) is not passed.

#include "lib/agent/notifier.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>

#include "lib/agent/notify_payload.hpp"
#include "lib/base/json_dump.hpp"
#include "lib/loop/defer.hpp"
#include "lib/loop/process.hpp"
#include "lib/loop/timer.hpp"
#include "lib/model/json.hpp"

namespace harness::agent {
namespace {
constexpr std::int64_t k_max_backoff_ms = 300'000;
constexpr std::size_t k_stderr_cap = 1024;
constexpr std::string_view k_sent = "notification_sent";
constexpr std::string_view k_failed = "notification_failed";

std::int64_t backoff_ms(std::int64_t base, int attempt) {
  std::int64_t wait = base;
  for (int i = 1; i < attempt && wait < k_max_backoff_ms; ++i) wait *= 4;
  return std::min(wait, k_max_backoff_ms);
}

// A webhook URL is often a secret itself (the token in its path): never in events or logs.
std::string without_url(std::string text, const std::string& url, const std::string& name) {
  if (url.empty()) return text;
  std::string label = "the url of notify." + name;
  for (auto at = text.find(url); at != std::string::npos; at = text.find(url, at + label.size()))
    text.replace(at, url.size(), label);
  return text;
}

std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}
}  // namespace

struct Delivery {
  explicit Delivery(uv_loop_t* loop) : timer(loop) {}
  std::uint64_t id = 0;
  config::NotifierConfig target;  // as when the gate opened
  bool command = false;           // the command channel; else the POST
  std::string leaf_id;
  std::int64_t gate = 0;
  std::string body;
  std::string name;  // X-Harness-Delivery: the same on every attempt
  int attempt = 0;
  loop::Timer timer;          // the wait before a retry; a command's timeout
  std::uint64_t request = 0;  // the POST in flight
  std::unique_ptr<loop::Process> process;
  std::string stderr_text;
  bool timed_out = false;
};

Notifier::Notifier(uv_loop_t* loop, http::HttpClient& http, Journal& journal,
                   config::ConfigPtr config)
    : m_loop(loop), m_http(http), m_journal(journal), m_config(std::move(config)) {}

Notifier::~Notifier() {
  close();
}

void Notifier::set_config(config::ConfigPtr config) {
  m_config = std::move(config);
}

void Notifier::close() {
  m_closed = true;
  m_alive.reset();
  for (auto& [id, d] : m_active) {
    (void)id;
    if (d->process) d->process->kill_group(SIGKILL);
  }
  // Requests are cancelled after m_alive is gone: their callbacks find nothing to do.
  std::vector<std::uint64_t> requests;
  for (auto& [id, d] : m_active)
    if (d->request) requests.push_back(d->request);
  m_active.clear();
  for (auto r : requests) m_http.cancel(r);
}

void Notifier::gate_opened(const model::Leaf& leaf) {
  if (m_closed || !m_config) return;
  auto policy = m_config->policies.find(model::str_at(leaf.spec.policy, "name"));
  if (policy == m_config->policies.end()) return;
  for (const std::string& name : policy->second.notify) {
    auto n = m_config->notifiers.find(name);
    if (n == m_config->notifiers.end()) continue;  // checked at load; a reload may drop it
    std::string body = dump_json(notification_payload(leaf, name));
    if (!n->second.url.empty()) start(n->second, false, leaf, body);
    if (!n->second.command.empty()) start(n->second, true, leaf, body);
  }
}

void Notifier::start(const config::NotifierConfig& target, bool command, const model::Leaf& leaf,
                     const std::string& body) {
  auto d = std::make_unique<Delivery>(m_loop);
  d->id = m_next_id++;
  d->target = target;
  d->command = command;
  d->leaf_id = leaf.id;
  d->gate = model::int_at(leaf.gate, "gate", leaf.open_gate);
  d->body = body;
  d->name = leaf.id + "." + std::to_string(d->gate) + "." + target.name;
  std::uint64_t id = d->id;
  bool full = m_active.size() >= k_max_in_flight;
  m_active.emplace(id, std::move(d));
  if (full)
    return finish(
        id, -1,
        "not sent: " + std::to_string(k_max_in_flight) + " notifications were already in flight");
  attempt(id);
}

void Notifier::attempt(std::uint64_t id) {
  auto it = m_active.find(id);
  if (it == m_active.end()) return;
  Delivery& d = *it->second;
  ++d.attempt;
  if (d.command) return attempt_command(d);
  attempt_http(d);
}

void Notifier::attempt_http(Delivery& d) {
  http::ClientRequest req;
  req.method = "POST";
  req.url = d.target.url;
  req.body = d.body;
  req.headers = notification_headers(d.body, d.target.secret, d.name, now_ms() / 1000);
  req.timeout_ms = d.target.timeout_ms;
  req.connect_timeout_ms = std::min<std::int64_t>(d.target.timeout_ms, 10'000);
  std::weak_ptr<int> alive = m_alive;
  std::uint64_t id = d.id;
  d.request = m_http.send(std::move(req), [this, alive, id](Result<http::ClientResponse> r) {
    if (alive.expired()) return;
    if (!r) return attempt_done(id, -1, r.error().message, false);
    long status = r->status;
    if (status >= 200 && status < 300) return attempt_done(id, status, "", false);
    std::string why = "HTTP " + std::to_string(status);
    if (!r->body.empty()) why += ": " + first_line(r->body.substr(0, 200));
    // Redirects are not followed; like a 4xx, a 3xx will not change by asking again.
    attempt_done(id, status, why, status < 500);
  });
}

void Notifier::attempt_command(Delivery& d) {
  std::int64_t ts = now_ms() / 1000;
  loop::ProcessOptions opts;
  opts.argv = d.target.command;
  opts.cwd = "/";
  opts.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "HARNESS_NOTIFY_EVENT=gate_opened",
              "HARNESS_NOTIFY_NOTIFIER=" + d.target.name,
              "HARNESS_NOTIFY_LEAF=" + d.leaf_id,
              "HARNESS_NOTIFY_GATE=" + std::to_string(d.gate),
              "HARNESS_NOTIFY_DELIVERY=" + d.name,
              "HARNESS_NOTIFY_TIMESTAMP=" + std::to_string(ts)};
  if (!d.target.secret.empty())
    opts.env.push_back("HARNESS_NOTIFY_SIGNATURE=" +
                       notification_signature(d.body, d.target.secret, ts));
  d.process = std::make_unique<loop::Process>(m_loop);
  d.stderr_text.clear();
  d.timed_out = false;
  std::weak_ptr<int> alive = m_alive;
  std::uint64_t id = d.id;
  auto find = [this, alive, id]() -> Delivery* {
    if (alive.expired()) return nullptr;
    auto it = m_active.find(id);
    return it == m_active.end() ? nullptr : it->second.get();
  };
  Status spawned = d.process->spawn(
      std::move(opts), [](std::string_view) {},
      [find](std::string_view chunk) {
        Delivery* self = find();
        if (!self || self->stderr_text.size() >= k_stderr_cap) return;
        self->stderr_text.append(chunk.substr(0, k_stderr_cap - self->stderr_text.size()));
      },
      [this, find, id](std::int64_t status, int sig) {
        Delivery* self = find();
        if (!self) return;
        self->timer.stop();
        std::string why;
        if (self->timed_out)
          why = "timed out after " + std::to_string(self->target.timeout_ms) + " ms";
        else if (sig != 0)
          why = "killed by signal " + std::to_string(sig);
        else if (status != 0)
          why = "exit status " + std::to_string(status);
        std::string err = first_line(self->stderr_text);
        if (!why.empty() && !err.empty()) why += ": " + err;
        attempt_done(id, why.empty() ? 0 : (sig ? -1 : static_cast<long>(status)), why, false);
      });
  if (!spawned) return attempt_done(id, -1, spawned.error().message, false);
  d.process->write(d.body);
  d.process->close_stdin();
  d.timer.start(static_cast<std::uint64_t>(d.target.timeout_ms), [find] {
    Delivery* self = find();
    if (!self || !self->process) return;
    self->timed_out = true;
    self->process->kill_group(SIGKILL);
  });
}

void Notifier::attempt_done(std::uint64_t id, long status, std::string error, bool final) {
  auto it = m_active.find(id);
  if (it == m_active.end()) return;
  Delivery& d = *it->second;
  d.request = 0;
  if (error.empty()) return finish(id, status, "");
  error = without_url(std::move(error), d.target.url, d.target.name);
  if (final || d.attempt >= d.target.attempts || m_closed) return finish(id, status, error);
  std::int64_t wait = backoff_ms(d.target.retry_backoff_ms, d.attempt);
  spdlog::info("leaf {}: notify.{} ({}) attempt {} failed: {}; next in {} ms", d.leaf_id,
               d.target.name, d.command ? "command" : "url", d.attempt, error, wait);
  std::weak_ptr<int> alive = m_alive;
  d.timer.start(static_cast<std::uint64_t>(wait), [this, alive, id] {
    if (!alive.expired()) attempt(id);
  });
}

void Notifier::finish(std::uint64_t id, long status, const std::string& error) {
  auto node = m_active.extract(id);
  if (node.empty()) return;
  std::unique_ptr<Delivery> d = std::move(node.mapped());
  bool sent = error.empty();
  model::Json data{{"notifier", d->target.name},
                   {"channel", d->command ? "command" : "url"},
                   {"gate", d->gate},
                   {"attempts", d->attempt},
                   {"status", status < 0 ? model::Json(nullptr) : model::Json(status)}};
  if (!sent) data["error"] = error;
  if (sent)
    spdlog::info("leaf {}: gate {} notified through notify.{} ({})", d->leaf_id, d->gate,
                 d->target.name, d->command ? "command" : "url");
  else
    spdlog::warn("leaf {}: gate {}: notify.{} ({}) failed after {} attempt(s): {}", d->leaf_id,
                 d->gate, d->target.name, d->command ? "command" : "url", d->attempt, error);
  std::string type(sent ? k_sent : k_failed);
  std::string leaf_id = d->leaf_id;
  // Freed on a later iteration: this may run inside the delivery's own callbacks.
  loop::defer_destroy(m_loop, std::move(d));
  if (m_closed) return;
  m_journal.append(
      leaf_id, {{type, std::move(data)}}, [leaf_id, type](Result<store::AppendResult> r) {
        // A leaf that ended meanwhile refuses it (conflict): nothing to record.
        if (!r) spdlog::info("leaf {}: {} not recorded: {}", leaf_id, type, r.error().message);
      });
}

}  // namespace harness::agent
