#pragma once
// A thin interface over http_parser 2.9.4 for HTTP/1.1 requests, so swapping in llhttp later is
// local work. It enforces the header and body caps while parsing (the body is never buffered
// past its cap) and stops after each complete message, so pipelined requests come out one at a
// time. With pause_after_head() it also stops once a request's head is complete, so the caller
// can refuse the request (authentication, routing) before reading any of its body.
// Single-threaded; one parser per connection.

#include <http_parser.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace harness::http {

// One parsed request, before URL decoding.
struct ParsedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  int http_major = 1;
  int http_minor = 1;
  bool keep_alive = true;  // http_should_keep_alive: version and Connection header
};

struct ParseLimits {
  size_t max_header_bytes = 80u << 10;  // request line + header fields and values
  size_t max_body_bytes = 8u << 20;     // declared Content-Length or running chunked total
};

// head: the head of the current message is complete and the parser paused before its body
// (only with pause_after_head); call resume() before feeding more.
enum class ParseStatus { need_more, head, complete, error };

// What went wrong, as the HTTP status to answer with and a human message.
struct ParseError {
  int status = 0;  // 400 malformed, 413 body over cap, 431 headers over cap
  std::string message;
};

struct FeedResult {
  size_t consumed = 0;
  ParseStatus status = ParseStatus::need_more;
  // Set once, right after the head of a request carrying `Expect: 100-continue` whose body is
  // still to come: the caller should send `100 Continue` now.
  bool send_continue = false;
};

class RequestParser {
 public:
  explicit RequestParser(ParseLimits limits);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses as much of `data` as belongs to the current message. Stops after a complete message
  // (status complete; call take() before feeding more), after a head when pausing there (status
  // head; call resume()), or at an error (status error; the parser is then unusable). Never call
  // with empty data.
  FeedResult feed(std::string_view data);
  // From now on, stop with ParseStatus::head after each request's head.
  void pause_after_head() { m_pause_after_head = true; }
  // Continues after ParseStatus::head. When the head already broke a limit (a declared body
  // over the cap), failed() is then true and error() says why.
  void resume();
  bool failed() const { return m_error.status != 0; }
  // The head parsed so far (method, target, headers, version); complete after status head.
  const ParsedRequest& current() const { return m_current; }
  // Bytes of the unfinished message held in memory (target, headers, body so far).
  size_t buffered_bytes() const;
  // Frees the unfinished message; the parser is unusable afterwards (the connection is ending).
  void discard();
  // The completed message; readies the parser for the next one on the same connection.
  ParsedRequest take();
  const ParseError& error() const { return m_error; }
  // True once a message has begun (its first byte arrived) and until it is taken.
  bool in_message() const { return m_in_message; }
  // True once the head of the current message is complete.
  bool headers_done() const { return m_headers_done; }

 private:
  static int on_message_begin(http_parser* p) noexcept;
  static int on_url(http_parser* p, const char* at, size_t n) noexcept;
  static int on_header_field(http_parser* p, const char* at, size_t n) noexcept;
  static int on_header_value(http_parser* p, const char* at, size_t n) noexcept;
  static int on_headers_complete(http_parser* p) noexcept;
  static int on_body(http_parser* p, const char* at, size_t n) noexcept;
  static int on_message_complete(http_parser* p) noexcept;
  static RequestParser& self(http_parser* p) { return *static_cast<RequestParser*>(p->data); }

  bool count_header_bytes(size_t n);
  void fail(int status, std::string message);

  ParseLimits m_limits;
  http_parser m_parser{};
  http_parser_settings m_settings{};
  ParsedRequest m_current;
  ParseError m_error;
  size_t m_header_bytes = 0;
  bool m_in_message = false;
  bool m_headers_done = false;
  bool m_complete = false;
  bool m_want_continue = false;
  bool m_pause_after_head = false;
  bool m_paused_at_head = false;
  bool m_last_was_value = false;
};

}  // namespace harness::http
