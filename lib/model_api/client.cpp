// ModelClient: one Call per complete(), keyed by id. Attempts go out through HttpClient, whose
// completions hold a weak_ptr to the client state plus the call id (the call may have been
// cancelled, the client closed, or destroyed meanwhile). Backoff waits are per-call uv timers;
// "later" work (first attempt, replay answers, early errors, cancel notices) goes through one
// deferred queue on a 0 ms timer, so no callback ever runs inside complete() or cancel().
// Everything runs on the loop thread.

#include "lib/model_api/client.hpp"

#include <cstdlib>
#include <random>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>

#include "lib/loop/timer.hpp"
#include "lib/model_api/anthropic.hpp"
#include "lib/model_api/openai.hpp"
#include "lib/model_api/replay.hpp"
#include "lib/model_api/retry.hpp"

namespace harness::model_api {
namespace detail {

using Done = std::function<void(Result<model::ModelResponse>)>;

struct Call {
  model::ModelProfile profile;
  http::ClientRequest request;
  int attempt = 0;
  bool awaiting_http = false;
  std::uint64_t attempt_started_ms = 0;  // uv_now() when the current attempt was sent
  std::uint64_t http_id = 0;
  std::unique_ptr<loop::Timer> retry_timer;
  std::function<void(const AttemptFailure&)> on_attempt_failed;
  Done done;
};

struct ModelClientImpl : std::enable_shared_from_this<ModelClientImpl> {
  ModelClientImpl(uv_loop_t* l, http::HttpClient& h)
      : loop(l), http(h), rng(std::random_device{}()) {}

  uv_loop_t* loop;
  http::HttpClient& http;
  std::unique_ptr<loop::Timer> defer_timer;
  std::vector<std::function<void()>> deferred;
  std::unordered_map<std::uint64_t, std::unique_ptr<Call>> calls;
  std::unordered_map<std::string, std::shared_ptr<const ReplayModel>> replays;
  std::mt19937_64 rng;
  std::uint64_t next_id = 0;
  bool closed = false;

  void defer(std::function<void()> fn);
  void run_deferred();
  Result<model::ModelResponse> replay_answer(const model::ModelProfile& p,
                                             const model::ModelRequest& req);
  void start_attempt(std::uint64_t id);
  void on_response(std::uint64_t id, Result<http::ClientResponse> r);
  void attempt_failed(std::uint64_t id, long status, const Error& err, bool retryable,
                      std::int64_t server_delay_ms);
  void finish(std::uint64_t id, Result<model::ModelResponse> r);
};

}  // namespace detail

using detail::Call;
using detail::ModelClientImpl;

namespace {

Error closed_error() {
  return make_error(ErrorCode::unavailable, "model client is closed");
}

Result<std::string> api_key(const model::ModelProfile& p) {
  if (p.api_key_env.empty()) return std::string();
  const char* v = std::getenv(p.api_key_env.c_str());
  if (!v || !*v)
    return make_error(ErrorCode::invalid, "model profile '" + p.name + "': environment variable " +
                                              p.api_key_env + " is not set (api_key_env)");
  return std::string(v);
}

Result<http::ClientRequest> build_request(const model::ModelProfile& p,
                                          const model::ModelRequest& req) {
  HARNESS_TRY_ASSIGN(std::string key, api_key(p));
  if (p.provider == "anthropic") return build_anthropic_request(p, key, req);
  if (p.provider == "openai") return build_openai_request(p, key, req);
  return make_error(ErrorCode::invalid, "model profile '" + p.name + "': unknown provider '" +
                                            p.provider + "' (anthropic, openai, replay)");
}

Result<model::ModelResponse> parse_response(const std::string& provider, long status,
                                            const std::string& body) {
  if (provider == "openai") return parse_openai_response(status, body);
  return parse_anthropic_response(status, body);
}

}  // namespace

// After close() there is no timer; close() drains whatever its own callbacks queue.
void ModelClientImpl::defer(std::function<void()> fn) {
  deferred.push_back(std::move(fn));
  if (closed) return;
  if (!defer_timer) defer_timer = std::make_unique<loop::Timer>(loop);
  if (!defer_timer->active()) defer_timer->start(0, [this] { run_deferred(); });
}

void ModelClientImpl::run_deferred() {
  auto batch = std::move(deferred);
  deferred.clear();
  for (auto& fn : batch) fn();
}

// Loading blocks on a small local file once per path; later calls hit the cache.
Result<model::ModelResponse> ModelClientImpl::replay_answer(const model::ModelProfile& p,
                                                            const model::ModelRequest& req) {
  if (p.file.empty())
    return make_error(ErrorCode::invalid, "replay model profile '" + p.name + "' has no file");
  auto it = replays.find(p.file);
  if (it == replays.end()) {
    HARNESS_TRY_ASSIGN(ReplayModel loaded, ReplayModel::load(p.file));
    it = replays.emplace(p.file, std::make_shared<const ReplayModel>(std::move(loaded))).first;
  }
  return it->second->answer(req);
}

void ModelClientImpl::start_attempt(std::uint64_t id) {
  auto it = calls.find(id);
  if (closed || it == calls.end()) return;
  Call& c = *it->second;
  ++c.attempt;
  http::ClientRequest req = c.request;
  req.timeout_ms = c.profile.request_timeout_ms;
  req.connect_timeout_ms = std::min<std::int64_t>(req.connect_timeout_ms, req.timeout_ms);
  c.awaiting_http = true;
  c.attempt_started_ms = uv_now(loop);
  std::weak_ptr<ModelClientImpl> weak = weak_from_this();
  std::uint64_t hid = http.send(std::move(req), [weak, id](Result<http::ClientResponse> r) {
    if (auto self = weak.lock()) self->on_response(id, std::move(r));
  });
  // A closed HttpClient answers inside send(); then the call has moved on or is gone.
  it = calls.find(id);
  if (it != calls.end() && it->second->awaiting_http) it->second->http_id = hid;
}

void ModelClientImpl::on_response(std::uint64_t id, Result<http::ClientResponse> r) {
  auto it = calls.find(id);
  if (it == calls.end()) return;
  Call& c = *it->second;
  c.awaiting_http = false;
  c.http_id = 0;
  spdlog::debug("model call {} ({}) attempt {}: {} in {} ms", id, c.profile.name, c.attempt,
                r ? "HTTP " + std::to_string(r->status) : r.error().message,
                uv_now(loop) - c.attempt_started_ms);
  if (!r) {
    attempt_failed(id, 0, r.error(), is_retryable_transport(r.error().code), -1);
    return;
  }
  auto parsed = parse_response(c.profile.provider, r->status, r->body);
  if (parsed) {
    finish(id, std::move(parsed));
    return;
  }
  bool ok_status = r->status >= 200 && r->status < 300;  // a 2xx we cannot read: not retried
  attempt_failed(id, r->status, parsed.error(), !ok_status && is_retryable_status(r->status),
                 retry_after_ms(*r));
}

void ModelClientImpl::attempt_failed(std::uint64_t id, long status, const Error& err,
                                     bool retryable, std::int64_t server_delay_ms) {
  Call& c = *calls.at(id);
  const auto& p = c.profile;
  bool again = retryable && c.attempt < p.max_attempts;
  std::int64_t delay = -1;
  if (again)
    delay = server_delay_ms >= 0
                ? std::min(server_delay_ms, p.backoff_max_ms)
                : backoff_ms(c.attempt, p.backoff_base_ms, p.backoff_max_ms, rng());
  int attempt = c.attempt;
  if (c.on_attempt_failed) {
    auto report = c.on_attempt_failed;  // it may cancel this call or close the client
    report(AttemptFailure{attempt, status, err.message, delay});
  }
  auto it = calls.find(id);
  if (it == calls.end()) return;
  if (!again) {
    std::string suffix =
        attempt > 1 ? " (gave up after " + std::to_string(attempt) + " attempts)" : "";
    finish(id, make_error(err.code, err.message + suffix));
    return;
  }
  auto& timer = it->second->retry_timer;
  if (!timer) timer = std::make_unique<loop::Timer>(loop);
  timer->start(static_cast<std::uint64_t>(delay), [this, id] { start_attempt(id); });
}

void ModelClientImpl::finish(std::uint64_t id, Result<model::ModelResponse> r) {
  auto it = calls.find(id);
  if (it == calls.end()) return;
  Done done = std::move(it->second->done);
  calls.erase(it);  // the call's retry timer (if any) closes; we are not inside its callback
  done(std::move(r));
}

ModelClient::ModelClient(uv_loop_t* loop, http::HttpClient& http)
    : m_impl(std::make_shared<ModelClientImpl>(loop, http)) {}

ModelClient::~ModelClient() {
  close();
}

std::uint64_t ModelClient::complete(const model::ModelProfile& profile,
                                    const model::ModelRequest& req,
                                    std::function<void(const AttemptFailure&)> on_attempt_failed,
                                    std::function<void(Result<model::ModelResponse>)> done) {
  ModelClientImpl& m = *m_impl;
  std::uint64_t id = ++m.next_id;
  if (m.closed) {
    done(closed_error());
    return id;
  }
  auto call = std::make_unique<Call>();
  call->profile = profile;
  call->on_attempt_failed = std::move(on_attempt_failed);
  call->done = std::move(done);
  Call& c = *m.calls.emplace(id, std::move(call)).first->second;
  if (profile.provider == "replay") {
    auto answer = m.replay_answer(profile, req);
    m.defer([&m, id, answer = std::move(answer)]() mutable { m.finish(id, std::move(answer)); });
    return id;
  }
  auto built = build_request(profile, req);
  if (!built) {
    m.defer([&m, id, err = built.error()] { m.finish(id, err); });
    return id;
  }
  c.request = std::move(*built);
  m.defer([&m, id] { m.start_attempt(id); });
  return id;
}

void ModelClient::cancel(std::uint64_t id) {
  ModelClientImpl& m = *m_impl;
  auto it = m.calls.find(id);
  if (it == m.calls.end()) return;
  if (it->second->awaiting_http) m.http.cancel(it->second->http_id);
  auto done = std::move(it->second->done);
  m.calls.erase(it);
  m.defer([done = std::move(done)] {
    done(make_error(ErrorCode::unavailable, "model call cancelled"));
  });
}

void ModelClient::close() {
  ModelClientImpl& m = *m_impl;
  if (m.closed) return;
  m.closed = true;
  m.run_deferred();  // delivers answers already decided; pending first attempts are skipped
  auto calls = std::move(m.calls);
  m.calls.clear();
  m.defer_timer.reset();
  m.replays.clear();
  for (auto& [id, c] : calls)
    if (c->awaiting_http) m.http.cancel(c->http_id);
  for (auto& [id, c] : calls) {
    auto done = std::move(c->done);
    c.reset();
    done(closed_error());
  }
  while (!m.deferred.empty()) m.run_deferred();
}

size_t ModelClient::in_flight() const {
  return m_impl->calls.size();
}

}  // namespace harness::model_api
