// Per-connection request loop. Loop thread only: libuv read/write/shutdown/close callbacks and
// the Server's idle/timer callbacks call in here; handlers are called from process().
//
// Flow: reads append to m_in; process() feeds the parser while no response is pending; a
// complete request is dispatched and the connection is "busy" until its response completes;
// then the next pipelined request is parsed (right away if the handler answered synchronously,
// else on the server's next idle tick so handlers never nest). Errors and Connection: close end
// with a graceful shutdown: half-close, then discard input until EOF or a linger deadline, so the
// client reads the last response instead of a reset.
//
// Limits an attacker cannot stretch: a request's head and body must arrive within
// request_timeout of its first byte (reads never extend it); a head is shown to the server's
// head check before any body is read; unfinished request bytes are reported to the server, which
// caps their sum across connections; a stream whose unsent output passes its cap is cut off.
#include "lib/http/connection.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <optional>
#include <utility>

#include "lib/http/url.hpp"

namespace harness::http {
namespace {
constexpr size_t k_max_pending_input = 256u << 10;  // stop reading while busy above this
constexpr std::uint64_t k_linger_ms = 2'000;
constexpr std::string_view k_continue = "HTTP/1.1 100 Continue\r\n\r\n";

ErrorCode code_for_status(int status) {
  switch (status) {
    case 408:
      return ErrorCode::timeout;
    case 413:
    case 431:
      return ErrorCode::too_large;
    default:
      return ErrorCode::bad_request;
  }
}
}  // namespace

struct Connection::WriteReq {
  uv_write_t req;
  std::string a;
  std::string b;
  size_t size() const { return a.size() + b.size(); }
};

Connection::Connection(Server* server, std::uint64_t id, UvAny* handle, Peer peer)
    : m_server(server),
      m_id(id),
      m_handle(handle),
      m_peer(std::move(peer)),
      m_parser(ParseLimits{server->m_opts.max_header_bytes, server->m_opts.max_body_bytes}) {
  m_handle->handle.data = this;
  m_parser.pause_after_head();
  m_msg_start = m_idle_since = now();
}

std::uint64_t Connection::now() const {
  return uv_now(m_handle->handle.loop);
}

void Connection::start() {
  set_reading(true);
  refresh_deadline();
}

void Connection::refuse(std::string message) {
  m_refused = true;
  fail_request(503, ErrorCode::unavailable, std::move(message));
}

void Connection::evict(size_t total, size_t cap) {
  spdlog::warn(
      "http: dropping connection {} ({}) holding {} bytes of unfinished requests: {} bytes are "
      "held across connections (max_buffered_bytes {})",
      m_id, m_peer.remote, m_buffered, total, cap);
  if (m_state == State::open && !m_busy) {
    fail_request(503, ErrorCode::unavailable,
                 "request dropped: the server holds more than max_buffered_bytes (" +
                     std::to_string(cap) + ") of unfinished requests and this connection held " +
                     std::to_string(m_buffered) + " bytes, the most of any");
  } else {
    close();
  }
  account();
}

void Connection::account() {
  size_t held = m_state == State::open ? m_in.size() + m_parser.buffered_bytes() : 0;
  if (held == m_buffered) return;
  size_t before = std::exchange(m_buffered, held);
  if (m_server) m_server->note_buffered(before, held);
}

size_t Connection::unsent_bytes() const {
  return m_handle ? m_handle->stream.write_queue_size : 0;
}

// Callbacks of handlers run from libuv callbacks; nothing they throw may escape.
void Connection::fire(std::function<void()>& fn, const char* what) {
  auto call = std::move(fn);
  fn = nullptr;
  if (!call) return;
  try {
    call();
  } catch (const std::exception& e) {
    spdlog::error("http: {} callback threw: {}", what, e.what());
  } catch (...) {
    spdlog::error("http: {} callback threw", what);
  }
}

void Connection::set_reading(bool on) {
  if (on == m_reading || m_state == State::closing || (on && m_eof)) return;
  if (on) {
    if (uv_read_start(&m_handle->stream, &Connection::on_alloc, &Connection::on_read) != 0) {
      close();
      return;
    }
  } else {
    uv_read_stop(&m_handle->stream);
  }
  m_reading = on;
}

void Connection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) noexcept {
  auto* self = static_cast<Connection*>(h->data);
  if (!self || !self->m_server) {
    *buf = uv_buf_init(nullptr, 0);  // read callback gets UV_ENOBUFS and closes
    return;
  }
  auto& mem = self->m_server->m_read_buf;  // shared: each read is consumed before the next
  *buf = uv_buf_init(mem.data(), static_cast<unsigned>(mem.size()));
}

void Connection::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
  if (auto* self = static_cast<Connection*>(s->data)) self->handle_read(nread, buf);
}

void Connection::handle_read(ssize_t nread, const uv_buf_t* buf) {
  if (m_state == State::closing || nread == 0) return;
  if (nread < 0) {
    handle_eof();
    return;
  }
  // After a final response we only drain, never buffer: an oversized body is discarded here.
  if (m_state != State::open) return;
  m_in.append(buf->base, static_cast<size_t>(nread));
  if (m_busy && m_in.size() > k_max_pending_input) set_reading(false);
  process();
}

// EOF or a read error. A client that goes away while its response is pending is gone: Go's
// net/http and node behave the same, and long-polls/streams must learn it promptly.
void Connection::handle_eof() {
  m_eof = true;
  m_reading = false;
  if (m_state == State::shutting_down) return;  // on_shutdown closes once our writes are out
  if (m_state == State::open && !m_busy && m_write_bytes > 0) {
    begin_shutdown();  // a half-closed client still gets the response already queued
    return;
  }
  close();
}

void Connection::process() {
  if (m_processing || m_state != State::open) return;
  m_processing = true;
  size_t pos = 0;
  while (m_state == State::open && !m_busy && pos < m_in.size()) {
    // The first request's clock started at accept; later ones start with their first byte.
    if (!m_parser.in_message() && m_seq > 0) m_msg_start = now();
    auto r = m_parser.feed(std::string_view(m_in).substr(pos));
    pos += r.consumed;
    if (r.send_continue) write(std::string(k_continue));
    if (r.status == ParseStatus::complete) {
      dispatch(m_parser.take());
    } else if (r.status == ParseStatus::head) {
      // http_parser leaves the head's final LF unconsumed when it pauses there, so the loop
      // always feeds again after resume() and a due 100 Continue goes out right away.
      if (!admit_head()) break;
      if (m_parser.failed()) {
        const auto& e = m_parser.error();
        fail_request(e.status, code_for_status(e.status), e.message);
      }
    } else if (r.status == ParseStatus::error) {
      const auto& e = m_parser.error();
      fail_request(e.status, code_for_status(e.status), e.message);
    } else {
      break;
    }
  }
  if (m_state == State::open) m_in.erase(0, pos);
  m_processing = false;
  if (m_state == State::open && m_in.size() <= k_max_pending_input) set_reading(true);
  refresh_deadline();
  account();
}

// Shows the complete head to the server's head check; false when it was answered early.
bool Connection::admit_head() {
  if (!m_server || !m_server->m_head_check) {
    m_parser.resume();
    return true;
  }
  const ParsedRequest& p = m_parser.current();
  auto target = parse_target(p.target);
  if (!target) {
    fail_request(400, ErrorCode::bad_request, target.error().message);
    return false;
  }
  Request head;
  head.method = p.method;
  head.target = p.target;
  head.path = std::move(target->path);
  head.query = target->query;
  head.query_all = target->query_all;
  head.headers = p.headers;
  head.transport = m_peer.transport;
  head.remote = m_peer.remote;
  head.peer = m_peer.cred;
  std::optional<EarlyAnswer> answer;
  try {
    answer = m_server->m_head_check(head);
  } catch (const std::exception& e) {
    answer = EarlyAnswer{500, make_error(ErrorCode::internal, e.what()), {}};
  } catch (...) {
    answer = EarlyAnswer{500, make_error(ErrorCode::internal, "head check threw"), {}};
  }
  if (!answer) {
    m_parser.resume();
    return true;
  }
  fail_request(answer->status, answer->error, &answer->headers, head.method == "HEAD");
  return false;
}

void Connection::dispatch(ParsedRequest parsed) {
  auto target = parse_target(parsed.target);
  if (!target) {
    fail_request(400, ErrorCode::bad_request, target.error().message);
    return;
  }
  Request req;
  req.method = std::move(parsed.method);
  req.target = std::move(parsed.target);
  req.path = std::move(target->path);
  req.query = std::move(target->query);
  req.query_all = std::move(target->query_all);
  req.headers = std::move(parsed.headers);
  req.body = std::move(parsed.body);
  req.transport = m_peer.transport;
  req.remote = m_peer.remote;
  req.peer = m_peer.cred;
  m_busy = true;
  ++m_seq;
  m_keep_alive = parsed.keep_alive;
  m_http10 = parsed.http_major == 1 && parsed.http_minor == 0;
  m_on_close = nullptr;
  m_on_drain = nullptr;
  m_req_start = now();
  m_req_line = req.method + " " + req.path;
  auto res = std::make_shared<Responder>(weak_from_this(), m_seq, req.method == "HEAD");
  call_handler(std::move(req), std::move(res));
}

// Handler exceptions stop here: an unanswered request gets a 500, a half-sent one is cut off.
void Connection::call_handler(Request req, std::shared_ptr<Responder> res) {
  std::string what;
  try {
    m_server->m_handler(std::move(req), res);
    return;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  spdlog::error("http: handler for {} threw: {}", m_req_line, what);
  if (!res->responded()) {
    res->send_error(make_error(ErrorCode::internal, "internal error: " + what));
  } else if (alive(m_seq)) {
    close();
  }
}

void Connection::fail_request(int status, ErrorCode code, std::string message) {
  fail_request(status, make_error(code, std::move(message)), nullptr, false);
}

// Answers and closes without reading (or buffering) the rest of the request.
void Connection::fail_request(int status, const Error& e, const HeaderList* extra, bool head_only) {
  spdlog::debug("http: conn {} ({}) error {}: {}", m_id, m_peer.remote, status, e.message);
  ResponseHead head;
  head.status = status;
  head.content_type = "application/json";
  head.extra = extra;
  std::string body = dump_json(error_json(e));
  head.content_length = body.size();
  head.close = true;
  m_keep_alive = false;
  if (head_only) body.clear();
  write(format_head(head), std::move(body));
  begin_shutdown();
}

bool Connection::alive(std::uint64_t seq) const {
  return m_state == State::open && m_busy && seq == m_seq;
}

void Connection::respond(std::uint64_t seq, int status, std::string_view content_type,
                         std::string body, const HeaderList& extra, bool head_only) {
  if (!alive(seq)) return;
  ResponseHead head;
  head.status = status;
  head.content_type = content_type;
  head.extra = &extra;
  head.content_length = body.size();
  head.close = !m_keep_alive || m_close_after;
  head.http10 = m_http10;
  if (head_only) body.clear();
  spdlog::debug("http: {} -> {} ({} bytes) in {} ms", m_req_line, status, *head.content_length,
                now() - m_req_start);
  write(format_head(head), std::move(body));
  finish_response();
}

void Connection::stream_start(std::uint64_t seq, int status, std::string_view content_type) {
  if (!alive(seq)) return;
  // HTTP/1.0 has no chunked encoding: the body ends when we close.
  if (m_http10) m_keep_alive = false;
  ResponseHead head;
  head.status = status;
  head.content_type = content_type;
  head.close = !m_keep_alive || m_close_after;
  head.http10 = m_http10;
  spdlog::debug("http: {} -> {} streaming after {} ms", m_req_line, status, now() - m_req_start);
  write(format_head(head));
}

bool Connection::stream_chunk(std::uint64_t seq, std::string data, bool head_only) {
  if (!alive(seq)) return false;
  if (head_only || data.empty()) return true;
  std::string framed = m_http10 ? std::move(data) : format_chunk(data);
  size_t size = framed.size();
  write(std::move(framed));
  if (m_state != State::open) return false;
  // A reader that does not keep up is cut off rather than fed without end. One chunk larger
  // than the cap on its own still goes out, so a big event cannot wedge a reconnecting client.
  size_t cap = m_server ? m_server->m_opts.max_stream_buffer_bytes : 0;
  size_t unsent = unsent_bytes();
  if (cap > 0 && unsent > cap && unsent > size) {
    spdlog::warn("http: {} ({}) has {} unsent bytes on a stream (cap {}); disconnecting it",
                 m_req_line, m_peer.remote, unsent, cap);
    close();
    return false;
  }
  return true;
}

void Connection::stream_end(std::uint64_t seq, bool head_only) {
  if (!alive(seq)) return;
  if (!head_only && !m_http10) write(std::string(k_last_chunk));
  spdlog::debug("http: {} stream ended after {} ms", m_req_line, now() - m_req_start);
  finish_response();
}

void Connection::set_on_close(std::uint64_t seq, std::function<void()> fn) {
  if (alive(seq)) m_on_close = std::move(fn);
}

void Connection::set_on_drain(std::uint64_t seq, size_t below, std::function<void()> fn) {
  if (!alive(seq)) return;
  m_on_drain = std::move(fn);
  m_drain_below = below;
  if (unsent_bytes() <= below) fire(m_on_drain, "on_drain");
}

void Connection::finish_response() {
  m_busy = false;
  m_on_close = nullptr;
  m_on_drain = nullptr;
  m_idle_since = now();
  if (!m_keep_alive || m_close_after) {
    begin_shutdown();
    return;
  }
  // Inside process() the loop there picks up the next request; otherwise parse it on a fresh
  // stack so a handler answering from its own callback is never re-entered.
  if (!m_processing && m_server) m_server->schedule(m_id);
  refresh_deadline();
}

void Connection::write(std::string a, std::string b) {
  if (m_state == State::closing || m_state == State::lingering) return;
  auto* w = new WriteReq{};
  w->req.data = w;
  w->a = std::move(a);
  w->b = std::move(b);
  uv_buf_t bufs[2] = {uv_buf_init(w->a.data(), static_cast<unsigned>(w->a.size())),
                      uv_buf_init(w->b.data(), static_cast<unsigned>(w->b.size()))};
  unsigned nbufs = w->b.empty() ? 1 : 2;
  m_write_bytes += w->size();
  if (uv_write(&w->req, &m_handle->stream, bufs, nbufs, &Connection::on_write) != 0) {
    m_write_bytes -= w->size();
    delete w;
    close();
  }
}

// Pending writes are cancelled (UV_ECANCELED) before the handle's close callback, so the
// Connection is still alive here even when closing.
void Connection::on_write(uv_write_t* req, int status) noexcept {
  auto* w = static_cast<WriteReq*>(req->data);
  auto* self = static_cast<Connection*>(req->handle->data);
  size_t size = w->size();
  delete w;
  if (!self || self->m_state == State::closing) return;
  self->m_write_bytes -= size;
  if (status < 0) return self->close();
  if (self->m_on_drain && self->unsent_bytes() <= self->m_drain_below)
    self->fire(self->m_on_drain, "on_drain");
}

void Connection::begin_shutdown() {
  if (m_state != State::open) return;
  m_state = State::shutting_down;
  // A client that never reads could stall the shutdown forever; bound it.
  m_deadline = now() + static_cast<std::uint64_t>(m_server ? m_server->m_opts.idle_timeout_ms : 0);
  m_in.clear();
  m_in.shrink_to_fit();
  m_parser.discard();
  account();
  auto* req = new uv_shutdown_t;
  if (uv_shutdown(req, &m_handle->stream, &Connection::on_shutdown) != 0) {
    delete req;
    close();
    return;
  }
  set_reading(true);  // drain (and discard) whatever the client still sends
}

void Connection::on_shutdown(uv_shutdown_t* req, int status) noexcept {
  auto* self = static_cast<Connection*>(req->handle->data);
  delete req;
  if (!self || self->m_state == State::closing) return;
  if (status < 0 || self->m_eof) {
    self->close();
    return;
  }
  self->m_state = State::lingering;
  self->m_deadline = self->now() + k_linger_ms;
}

void Connection::refresh_deadline() {
  if (m_state != State::open || !m_server) return;
  const auto& o = m_server->m_opts;
  if (m_busy) {
    m_deadline = 0;
  } else if (m_parser.in_message() || m_seq == 0) {
    m_deadline = m_msg_start + static_cast<std::uint64_t>(o.request_timeout_ms);
  } else {
    m_deadline = m_idle_since + static_cast<std::uint64_t>(o.idle_timeout_ms);
  }
}

void Connection::check_deadline(std::uint64_t now_ms) {
  if (m_deadline == 0 || now_ms < m_deadline || m_state == State::closing) return;
  // A request under way gets a 408; a connection that sent nothing parseable is just closed.
  if (m_state == State::open && !m_busy && m_parser.in_message() && m_server) {
    fail_request(408, ErrorCode::timeout,
                 std::string("the request's ") + (m_parser.headers_done() ? "body" : "head") +
                     " did not arrive within request_timeout (" +
                     std::to_string(m_server->m_opts.request_timeout_ms) + " ms)");
    return;
  }
  close();
}

void Connection::close_when_idle() {
  m_close_after = true;
  if (!m_busy) close();
}

void Connection::detach() {
  m_self = shared_from_this();
  m_server = nullptr;
  close();
}

void Connection::close() {
  if (m_state == State::closing) return;
  m_state = State::closing;
  m_deadline = 0;
  account();
  uv_close(&m_handle->handle, &Connection::on_closed);
}

void Connection::on_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<Connection*>(h->data);
  delete reinterpret_cast<UvAny*>(h);
  if (self) self->handle_closed();
}

void Connection::handle_closed() {
  m_handle = nullptr;
  auto keep = shared_from_this();
  auto fn = std::move(m_on_close);
  bool due = m_busy && fn;
  m_busy = false;
  m_on_close = nullptr;
  m_on_drain = nullptr;
  if (due) fire(fn, "on_close");
  m_self.reset();
  if (m_server) m_server->connection_closed(m_id);
}

}  // namespace harness::http
