#pragma once
// HTTP client on the event loop: libcurl's multi-socket API driven by one uv_poll_t per socket
// curl opens and one uv timer. No threads and nothing blocks; every method and every callback
// runs on the loop thread that owns `loop`.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lib/base/result.hpp"

namespace harness::http {

namespace detail {
struct ClientImpl;
}

// One request. Headers are sent as given ("Name", "value"); `Expect:` is always suppressed.
struct ClientRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // "Name", "value"
  std::string body;
  std::int64_t timeout_ms = 300'000;  // whole transfer
  std::int64_t connect_timeout_ms = 10'000;
  std::string unix_socket;  // optional CURLOPT_UNIX_SOCKET_PATH
};

// A complete response of any status. Header names are lower-cased; the body is capped at
// HttpClient::k_max_body_bytes.
struct ClientResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // The value of the first header named `lower_name`, or "" when absent.
  std::string header(std::string_view lower_name) const;
};

class HttpClient {
 public:
  // Responses larger than this fail with ErrorCode::too_large.
  static constexpr std::int64_t k_max_body_bytes = 32 * 1024 * 1024;

  // `loop` must outlive the client. The client holds no handle until a request is sent.
  explicit HttpClient(uv_loop_t* loop);
  ~HttpClient();  // = close()
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a request and returns its id (never 0). `done` runs later on the loop thread exactly
  // once, never inside send() (except after close(): then at once with unavailable). Any HTTP
  // status is a success here. Transport failures: unavailable (refused/reset/DNS; the message
  // has curl's text and the URL), timeout, too_large (body over the cap).
  // Do not destroy the client from inside `done`.
  std::uint64_t send(ClientRequest req, std::function<void(Result<ClientResponse>)> done);
  // Aborts request `id`; its `done` runs on the next loop tick with unavailable "cancelled".
  // Unknown or finished ids are ignored.
  void cancel(std::uint64_t id);
  // Aborts everything (each pending `done` runs, synchronously, with an error) and releases all
  // handles so the loop can finish. Idempotent; send() after close() fails immediately.
  void close();
  // Requests started and not yet completed (includes those whose `done` is queued).
  size_t in_flight() const;

 private:
  std::unique_ptr<detail::ClientImpl> m_impl;
};

}  // namespace harness::http
