#include "lib/http/parser.hpp"

#include <cctype>

namespace harness::http {

RequestParser::RequestParser(ParseLimits limits) : m_limits(limits) {
  http_parser_init(&m_parser, HTTP_REQUEST);
  m_parser.data = this;
  http_parser_settings_init(&m_settings);
  m_settings.on_message_begin = &RequestParser::on_message_begin;
  m_settings.on_url = &RequestParser::on_url;
  m_settings.on_header_field = &RequestParser::on_header_field;
  m_settings.on_header_value = &RequestParser::on_header_value;
  m_settings.on_headers_complete = &RequestParser::on_headers_complete;
  m_settings.on_body = &RequestParser::on_body;
  m_settings.on_message_complete = &RequestParser::on_message_complete;
}

FeedResult RequestParser::feed(std::string_view data) {
  FeedResult r;
  if (m_error.status != 0) {
    r.status = ParseStatus::error;
    return r;
  }
  r.consumed = http_parser_execute(&m_parser, &m_settings, data.data(), data.size());
  auto err = HTTP_PARSER_ERRNO(&m_parser);
  if (m_complete) {
    r.status = ParseStatus::complete;
  } else if (m_paused_at_head) {
    r.status = ParseStatus::head;
    return r;  // 100 Continue waits until the caller has accepted the head
  } else if (err != HPE_OK || m_error.status != 0) {
    if (m_error.status == 0) {
      int status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
      fail(status, std::string("malformed HTTP request: ") + http_errno_description(err));
    }
    r.status = ParseStatus::error;
  }
  r.send_continue = m_want_continue && r.status == ParseStatus::need_more;
  m_want_continue = false;
  return r;
}

void RequestParser::resume() {
  if (!m_paused_at_head) return;
  m_paused_at_head = false;
  if (m_error.status == 0) http_parser_pause(&m_parser, 0);
}

size_t RequestParser::buffered_bytes() const {
  return m_in_message ? m_header_bytes + m_current.body.size() : 0;
}

void RequestParser::discard() {
  // Move out, not assign over: assigning an empty string keeps the old capacity.
  { ParsedRequest gone = std::move(m_current); }
  m_current = ParsedRequest{};
  m_in_message = false;
  fail(400, "request discarded");
}

ParsedRequest RequestParser::take() {
  // The parser paused itself in on_message_complete; resume it for the next message.
  http_parser_pause(&m_parser, 0);
  m_complete = false;
  m_in_message = false;
  m_headers_done = false;
  return std::exchange(m_current, ParsedRequest{});
}

bool RequestParser::count_header_bytes(size_t n) {
  m_header_bytes += n;
  if (m_header_bytes <= m_limits.max_header_bytes) return true;
  fail(431, "request headers exceed the limit of " + std::to_string(m_limits.max_header_bytes) +
                " bytes");
  return false;
}

void RequestParser::fail(int status, std::string message) {
  if (m_error.status != 0) return;
  m_error.status = status;
  m_error.message = std::move(message);
}

int RequestParser::on_message_begin(http_parser* p) noexcept {
  auto& s = self(p);
  s.m_current = ParsedRequest{};
  s.m_header_bytes = 0;
  s.m_in_message = true;
  s.m_headers_done = false;
  s.m_last_was_value = false;
  return 0;
}

int RequestParser::on_url(http_parser* p, const char* at, size_t n) noexcept {
  auto& s = self(p);
  if (!s.count_header_bytes(n)) return -1;
  s.m_current.target.append(at, n);
  return 0;
}

int RequestParser::on_header_field(http_parser* p, const char* at, size_t n) noexcept {
  auto& s = self(p);
  if (!s.count_header_bytes(n)) return -1;
  auto& headers = s.m_current.headers;
  // A field may arrive in pieces across reads; a new one starts after a value.
  if (headers.empty() || s.m_last_was_value) headers.emplace_back();
  for (size_t i = 0; i < n; ++i)
    headers.back().first.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
  s.m_last_was_value = false;
  return 0;
}

int RequestParser::on_header_value(http_parser* p, const char* at, size_t n) noexcept {
  auto& s = self(p);
  if (!s.count_header_bytes(n)) return -1;
  if (s.m_current.headers.empty()) s.m_current.headers.emplace_back();
  s.m_current.headers.back().second.append(at, n);
  s.m_last_was_value = true;
  return 0;
}

namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}
}  // namespace

int RequestParser::on_headers_complete(http_parser* p) noexcept {
  auto& s = self(p);
  auto& req = s.m_current;
  s.m_headers_done = true;
  req.method = http_method_str(static_cast<http_method>(p->method));
  req.http_major = p->http_major;
  req.http_minor = p->http_minor;
  req.keep_alive = http_should_keep_alive(p) != 0;
  bool has_length = (p->flags & F_CONTENTLENGTH) != 0;
  // Refuse an oversized declared body before reading a byte of it. When pausing after heads,
  // the head is still shown first, so an unauthenticated caller learns nothing of the limits.
  if (has_length && p->content_length > s.m_limits.max_body_bytes) {
    s.fail(413, "request body of " + std::to_string(p->content_length) +
                    " bytes exceeds the limit of " + std::to_string(s.m_limits.max_body_bytes) +
                    " bytes");
    if (!s.m_pause_after_head) return -1;
    s.m_paused_at_head = true;
    http_parser_pause(p, 1);
    return 0;
  }
  bool body_follows = (p->flags & F_CHUNKED) != 0 || (has_length && p->content_length > 0);
  for (const auto& [name, value] : req.headers)
    if (name == "expect" && iequals(value, "100-continue")) s.m_want_continue = body_follows;
  if (s.m_pause_after_head) {
    s.m_paused_at_head = true;
    http_parser_pause(p, 1);
  }
  return 0;
}

int RequestParser::on_body(http_parser* p, const char* at, size_t n) noexcept {
  auto& s = self(p);
  if (s.m_current.body.size() + n > s.m_limits.max_body_bytes) {
    s.fail(413, "request body exceeds the limit of " + std::to_string(s.m_limits.max_body_bytes) +
                    " bytes");
    return -1;
  }
  s.m_current.body.append(at, n);
  return 0;
}

int RequestParser::on_message_complete(http_parser* p) noexcept {
  auto& s = self(p);
  s.m_complete = true;
  // Stop here so the next pipelined request waits until this one has been answered.
  http_parser_pause(p, 1);
  return 0;
}

}  // namespace harness::http
