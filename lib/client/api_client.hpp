#pragma once
// A small synchronous HTTP client for harnessd's API (docs/api.md), over http_exchange.hpp.
// Single-threaded: one ApiClient per thread. Every call gives up when SIGINT arrives
// (lib/client/interrupt.hpp); callers then check interrupted() and exit 130.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/base/json_dump.hpp"
#include "lib/base/result.hpp"
#include "lib/client/endpoint.hpp"

namespace harness::client {

using Json = nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;
// Called once per non-empty NDJSON line of a stream; return false to stop reading.
using LineHandler = std::function<bool(std::string_view line)>;

inline constexpr std::int64_t k_request_timeout_ms = 60'000;

class ApiClient {
 public:
  explicit ApiClient(Endpoint endpoint);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  const Endpoint& endpoint() const { return m_endpoint; }

  // GET `path` ("/v1/leaves/x"): the parsed body of a 2xx answer. API errors come back with
  // their error.code; a daemon that cannot be reached is `unavailable` with advice.
  Result<Json> get(const std::string& path, std::int64_t timeout_ms = k_request_timeout_ms);
  // POST `body` as JSON with extra `headers`; same error rules as get().
  Result<Json> post(const std::string& path, const Json& body, const Headers& headers = {});
  // DELETE `path`; same error rules as get().
  Result<Json> del(const std::string& path);
  // GETs an NDJSON stream, handing each line to `on_line` until the server ends the response
  // or on_line returns false. A dropped or stalled (no byte for 45 s) stream is `unavailable`.
  Status stream(const std::string& path, const LineHandler& on_line);

  struct Call;  // one request in flight; defined in api_client.cpp

 private:
  Result<Json> perform(Call& call);

  Endpoint m_endpoint;
};

// Percent-encodes `s` for a URL path segment or query value.
std::string url_encode(std::string_view s);

}  // namespace harness::client
