#include "lib/client/api_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "lib/client/interrupt.hpp"
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
  // Filled while the transfer runs:
  CURL* curl = nullptr;
  long status = 0;
  std::string received;  // the whole body, or the unconsumed tail of a stream
  bool stopped_by_handler = false;
};

namespace {
constexpr long k_connect_timeout_ms = 5'000;
constexpr long k_stream_stall_s = 45;  // heartbeats come every 15 s

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

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

size_t on_write(char* data, size_t size, size_t n, void* user) {
  auto& c = *static_cast<ApiClient::Call*>(user);
  size_t len = size * n;
  c.received.append(data, len);
  if (c.on_line == nullptr) return len;
  curl_easy_getinfo(c.curl, CURLINFO_RESPONSE_CODE, &c.status);
  if (c.status < 200 || c.status >= 300) return len;  // an error body: parsed at the end
  return drain_lines(c) ? len : 0;
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

int on_progress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return interrupted() ? 1 : 0;  // non-zero aborts the transfer
}

Error transport_error(const Endpoint& ep, CURL* curl, CURLcode rc, const char* errbuf) {
  if (rc == CURLE_ABORTED_BY_CALLBACK) return make_error(ErrorCode::internal, "interrupted");
  long os_errno = 0;
  curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
  std::string why = os_errno != 0 ? std::strerror(static_cast<int>(os_errno))
                                  : (*errbuf ? errbuf : curl_easy_strerror(rc));
  std::string where = ep.describe();
  // A socket the caller may not open is a permission problem, not an outage: retrying won't help.
  if (!ep.socket_path.empty() && (os_errno == EACCES || os_errno == EPERM))
    return make_error(ErrorCode::forbidden, socket_access_denied(ep.socket_path));
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return make_error(ErrorCode::unavailable,
                        "cannot reach harnessd at " + where + ": " + why +
                            " — is it running? start it with `harnessd` or set " +
                            (ep.socket_path.empty() ? "--url" : "--socket"));
    case CURLE_OPERATION_TIMEDOUT:
      return make_error(ErrorCode::unavailable,
                        "harnessd at " + where + " did not answer in time: " + why);
    default:
      return make_error(ErrorCode::unavailable,
                        "connection to harnessd at " + where + " failed: " + why);
  }
}
}  // namespace

ApiClient::ApiClient(Endpoint endpoint) : m_endpoint(std::move(endpoint)) {
  global_init();
  m_curl = curl_easy_init();
  HARNESS_ASSERT(m_curl != nullptr);
}

ApiClient::~ApiClient() {
  curl_easy_cleanup(static_cast<CURL*>(m_curl));
}

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
  CURL* curl = static_cast<CURL*>(m_curl);
  curl_easy_reset(curl);
  c.curl = curl;
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::string url =
      (m_endpoint.socket_path.empty() ? m_endpoint.base_url : "http://localhost") + c.path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (!m_endpoint.socket_path.empty())
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, m_endpoint.socket_path.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, k_connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout_ms));
  if (c.on_line != nullptr) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, k_stream_stall_s);
  }
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &c);

  curl_slist* hdrs = nullptr;
  hdrs = curl_slist_append(hdrs, "Accept: application/json, application/x-ndjson");
  hdrs = curl_slist_append(hdrs, "Expect:");  // no 100-continue round trip for big bodies
  if (!m_endpoint.token.empty() && m_endpoint.socket_path.empty())
    hdrs = curl_slist_append(hdrs, ("Authorization: Bearer " + m_endpoint.token).c_str());
  for (const auto& [k, v] : c.headers) hdrs = curl_slist_append(hdrs, (k + ": " + v).c_str());
  if (std::strcmp(c.method, "POST") == 0) {
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, c.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(c.body.size()));
  }
  // The handle is reused: a DELETE must not stick to the next request.
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST,
                   std::strcmp(c.method, "DELETE") == 0 ? "DELETE" : nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(hdrs);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &c.status);

  if (c.stopped_by_handler) return Json(nullptr);
  if (rc != CURLE_OK) return transport_error(m_endpoint, curl, rc, errbuf);
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
