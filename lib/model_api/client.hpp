#pragma once
// The async front door the agent loop calls for one model turn: picks the provider, builds the
// wire request, sends it through http::HttpClient, retries, parses. Loop thread only: every
// method and every callback runs on the thread running `loop`.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lib/base/result.hpp"
#include "lib/http/client.hpp"
#include "lib/model/conversation.hpp"
#include "lib/model/profiles.hpp"

namespace harness::model_api {

// One failed attempt, reported so the caller can log a model_error event.
struct AttemptFailure {
  int attempt = 0;                // 1-based
  long status = 0;                // HTTP status, 0 for transport failures
  std::string message;            // human text (curl's or the API's error message)
  std::int64_t retry_in_ms = -1;  // delay before the next attempt; -1 = giving up
};

namespace detail {
struct ModelClientImpl;
}

class ModelClient {
 public:
  // `loop` and `http` must outlive the client (close() it before closing `http`).
  ModelClient(uv_loop_t* loop, http::HttpClient& http);
  ~ModelClient();  // = close()
  ModelClient(const ModelClient&) = delete;
  ModelClient& operator=(const ModelClient&) = delete;

  // Runs one model call for `profile` (provider anthropic | openai | replay) and returns its id.
  // Retries 408/409/429/5xx and transport failures (unavailable, timeout) with exponential
  // backoff + full jitter (profile.backoff_base_ms/backoff_max_ms), or the server's retry-after
  // capped by backoff_max_ms, up to profile.max_attempts attempts of profile.request_timeout_ms
  // each; `on_attempt_failed` runs for every failed attempt, the last one with retry_in_ms -1.
  // The key is read from getenv(profile.api_key_env) now (unset or empty: invalid, naming the
  // variable). Replay profiles answer from profile.file (loaded once per path and cached, errors
  // not cached) without HTTP. `done` runs exactly once, on a later loop tick, never inside
  // complete() (except after close(): then at once, with unavailable). The final error keeps
  // the last attempt's code (api_error's mapping, or unavailable/timeout). `req` is only read
  // during the call (the wire request is built at once; req.wire may be extended).
  std::uint64_t complete(const model::ModelProfile& profile, const model::ModelRequest& req,
                         std::function<void(const AttemptFailure&)> on_attempt_failed,
                         std::function<void(Result<model::ModelResponse>)> done);
  // Stops call `id`: no further attempts; its `done` runs on a later tick with unavailable
  // "model call cancelled". Unknown or finished ids are ignored.
  void cancel(std::uint64_t id);
  // Fails every pending call (their `done` runs synchronously, with unavailable) and releases
  // the client's handles. Idempotent.
  void close();
  // Calls whose `done` has not run yet.
  size_t in_flight() const;

 private:
  std::shared_ptr<detail::ModelClientImpl> m_impl;
};

}  // namespace harness::model_api
