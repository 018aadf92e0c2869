#include "lib/client/api_client.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "lib/client/http_exchange.hpp"
#include "lib/client/socket_access.hpp"

namespace harness::client {

// One request in flight: what to send, and what came back so far.
struct ApiClient::Call {
  const char* method = "GET";
  std::string path;
  std::string body;
  Headers headers;
  std::int64_t timeout_ms = k_request_timeout_ms;
  const LineHandler* on_line = nullptr;  // set for streams
  // Filled while the exchange runs:
  long status = 0;
  std::string received;  // the whole body, or the unconsumed tail of a stream
  bool stopped_by_handler = false;
};

namespace {
constexpr std::int64_t k_connect_timeout_ms = 5'000;
constexpr std::int64_t k_stream_stall_ms = 45'000;  // heartbeats come every 15 s

// Maps a non-2xx answer back to an Error: the API's {"error":{"code","message"}} when present,
// else the status.
Error api_error(long status, const std::string& body) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const Json& e = j["error"];
    std::string code =
        e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    std::string message =
        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    ErrorCode ec = code.empty() ? error_code_from_status(status) : error_code_from_string(code);
    if (message.empty()) message = "harnessd answered HTTP " + std::to_string(status);
    return make_error(ec, message);
  }
  std::string snippet = body.substr(0, 200);
  return make_error(
      error_code_from_status(status),
      "harnessd answered HTTP " + std::to_string(status) + (snippet.empty() ? "" : ": " + snippet));
}

// Hands complete lines of a stream to the handler, keeping a partial last line buffered.
bool drain_lines(ApiClient::Call& c);

// A piece of the body: kept, and for a stream with a 2xx status handed on line by line.
bool on_body(ApiClient::Call& c, std::string_view data) {
  c.received.append(data);
  if (c.on_line == nullptr) return true;
  if (c.status < 200 || c.status >= 300) return true;  // an error body: parsed at the end
  return drain_lines(c);
}

bool drain_lines(ApiClient::Call& c) {
  size_t start = 0;
  for (size_t nl; (nl = c.received.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(c.received.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!(*c.on_line)(line)) {
      c.stopped_by_handler = true;
      return false;
    }
  }
  c.received.erase(0, start);
  return true;
}

Error transport_error(const Endpoint& ep, const ExchangeFailure& f) {
  using Kind = ExchangeFailure::Kind;
  if (f.kind == Kind::interrupted) return make_error(ErrorCode::internal, "interrupted");
  std::string why = f.os_errno != 0 ? std::strerror(f.os_errno) : f.detail;
  std::string where = ep.describe();
  // A socket the caller may not open is a permission problem, not an outage: retrying won't help.
  if (!ep.socket_path.empty() && (f.os_errno == EACCES || f.os_errno == EPERM))
    return make_error(ErrorCode::forbidden, socket_access_denied(ep.socket_path));
  switch (f.kind) {
    case Kind::connect:
    case Kind::resolve:
      return make_error(ErrorCode::unavailable,
                        "cannot reach harnessd at " + where + ": " + why +
                            " — is it running? start it with `harnessd` or set " +
                            (ep.socket_path.empty() ? "--url" : "--socket"));
    case Kind::timeout:
      return make_error(ErrorCode::unavailable,
                        "harnessd at " + where + " did not answer in time: " + why);
    default:
      return make_error(ErrorCode::unavailable,
                        "connection to harnessd at " + where + " failed: " + why);
  }
}

// The request's bytes. Header values come from the caller's flags: a line break in one would
// smuggle another header, so it is refused.
Result<std::string> request_bytes(const Endpoint& ep, const ExchangeTarget& target,
                                  const ApiClient::Call& c) {
  std::string host = target.socket_path.empty() ? target.host : "localhost";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  if (target.socket_path.empty() && target.port != "80") host += ":" + target.port;
  std::string r = std::string(c.method) + " " + c.path + " HTTP/1.1\r\nHost: " + host +
                  "\r\nAccept: application/json, application/x-ndjson\r\nConnection: close\r\n";
  if (!ep.token.empty() && ep.socket_path.empty())
    r += "Authorization: Bearer " + ep.token + "\r\n";
  for (const auto& [k, v] : c.headers) {
    if ((k + v).find_first_of("\r\n") != std::string::npos)
      return make_error(ErrorCode::invalid, "header " + k + " contains a line break");
    r += k + ": " + v + "\r\n";
  }
  if (std::strcmp(c.method, "POST") == 0)
    r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(c.body.size()) +
         "\r\n";
  r += "\r\n";
  r += c.body;
  return r;
}
}  // namespace

ApiClient::ApiClient(Endpoint endpoint) : m_endpoint(std::move(endpoint)) {}

ApiClient::~ApiClient() = default;

Result<Json> ApiClient::get(const std::string& path, std::int64_t timeout_ms) {
  Call c;
  c.path = path;
  c.timeout_ms = timeout_ms;
  return perform(c);
}

Result<Json> ApiClient::post(const std::string& path, const Json& body, const Headers& headers) {
  Call c;
  c.method = "POST";
  c.path = path;
  c.body = dump_json(body);
  c.headers = headers;
  return perform(c);
}

Result<Json> ApiClient::del(const std::string& path) {
  Call c;
  c.method = "DELETE";
  c.path = path;
  return perform(c);
}

Status ApiClient::stream(const std::string& path, const LineHandler& on_line) {
  Call c;
  c.path = path;
  c.timeout_ms = 0;
  c.on_line = &on_line;
  HARNESS_TRY(perform(c));
  return {};
}

Result<Json> ApiClient::perform(Call& c) {
  ExchangeTarget target{m_endpoint.socket_path, "", ""};
  if (target.socket_path.empty() && !parse_http_url(m_endpoint.base_url, target))
    return make_error(ErrorCode::invalid,
                      "harnessd URL " + m_endpoint.base_url +
                          ": harnessctl speaks plain HTTP to harnessd; give it as "
                          "http://HOST[:PORT] (for TLS across hosts, use a tunnel)");
  HARNESS_TRY_ASSIGN(std::string request, request_bytes(m_endpoint, target, c));
  ExchangeLimits limits{k_connect_timeout_ms, c.timeout_ms,
                        c.on_line != nullptr ? k_stream_stall_ms : 0};
  ExchangeHandlers handlers{[&c](int status) { c.status = status; },
                            [&c](std::string_view data) { return on_body(c, data); }};
  ExchangeFailure failure{};
  bool ok = http_exchange(target, request, limits, handlers, failure);
  if (c.stopped_by_handler) return Json(nullptr);
  if (!ok) return transport_error(m_endpoint, failure);
  if (c.status < 200 || c.status >= 300) return api_error(c.status, c.received);
  if (c.on_line != nullptr) {
    c.received.push_back('\n');  // a last line without its newline still counts
    drain_lines(c);
    return Json(nullptr);
  }
  if (c.received.empty()) return Json(nullptr);
  Json j = Json::parse(c.received, nullptr, false);
  if (j.is_discarded())
    return make_error(ErrorCode::internal, "harnessd answered with a body that is not JSON");
  return j;
}

std::string url_encode(std::string_view s) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(k_hex[ch >> 4]);
      out.push_back(k_hex[ch & 15]);
    }
  }
  return out;
}

}  // namespace harness::client
