#pragma once
// One accepted HTTP connection (internal to the server). Loop thread only.
//
// Lifetime: the Server's map owns it through a shared_ptr; Responders hold a weak_ptr plus the
// sequence number of their request, so a late answer after the client left (or after the next
// request started) is dropped. The uv handle is closed with uv_close and the map entry is erased
// in the close callback, never earlier, so no callback ever sees a freed Connection.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lib/http/parser.hpp"
#include "lib/http/server.hpp"

namespace harness::http {

// Storage for any handle the server owns, so one close callback can free them all.
union UvAny {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_tcp_t tcp;
  uv_pipe_t pipe;
  uv_timer_t timer;
  uv_idle_t idle;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  struct Peer {
    std::string transport;  // "unix" | "tcp"
    std::string remote;     // "unix" | "ip:port"
    PeerCred cred;
  };
  // Takes ownership of the accepted, initialised `handle`.
  Connection(Server* server, std::uint64_t id, UvAny* handle, Peer peer);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading.
  void start();
  // Answers 503 with `message` without reading a request, then closes (over max_connections).
  void refuse(std::string message);
  bool refused() const { return m_refused; }
  // Unfinished request bytes this connection holds (unparsed input and the partial message).
  size_t buffered() const { return m_buffered; }
  // Over max_buffered_bytes: answers 503 (or just closes when a response is pending) and drops
  // what it held.
  void evict(size_t total, size_t cap);
  // Parses buffered input and dispatches requests while no response is pending.
  void process();
  // Closes now; a pending response is abandoned and its on_close callback runs.
  void close();
  // Server shutdown: closes now if no response is pending, else after it completes.
  void close_when_idle();
  // The server is going away: close, and keep this object alive until the handle is closed.
  void detach();
  // Enforces the request/idle timeouts and the shutdown/linger deadlines.
  void check_deadline(std::uint64_t now);

  // For Responder: all are no-ops unless `seq` is the request currently being answered.
  bool alive(std::uint64_t seq) const;
  bool gone() const { return m_state == State::closing; }
  void respond(std::uint64_t seq, int status, std::string_view content_type, std::string body,
               const HeaderList& extra, bool head_only);
  void stream_start(std::uint64_t seq, int status, std::string_view content_type);
  bool stream_chunk(std::uint64_t seq, std::string data, bool head_only);
  void stream_end(std::uint64_t seq, bool head_only);
  size_t write_queue_bytes() const { return m_write_bytes; }
  size_t unsent_bytes() const;
  void set_on_close(std::uint64_t seq, std::function<void()> fn);
  void set_on_drain(std::uint64_t seq, size_t below, std::function<void()> fn);

 private:
  enum class State { open, shutting_down, lingering, closing };
  struct WriteReq;

  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) noexcept;
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void on_write(uv_write_t* req, int status) noexcept;
  static void on_shutdown(uv_shutdown_t* req, int status) noexcept;
  static void on_closed(uv_handle_t* h) noexcept;

  void handle_read(ssize_t nread, const uv_buf_t* buf);
  void handle_eof();
  void handle_closed();
  bool admit_head();
  void dispatch(ParsedRequest parsed);
  void call_handler(Request req, std::shared_ptr<Responder> res);
  void fail_request(int status, ErrorCode code, std::string message);
  void fail_request(int status, const Error& e, const HeaderList* extra, bool head_only);
  void account();
  void fire(std::function<void()>& fn, const char* what);
  void write(std::string a, std::string b = {});
  void finish_response();
  void begin_shutdown();
  void refresh_deadline();
  void set_reading(bool on);
  std::uint64_t now() const;

  Server* m_server;  // null once detached
  std::uint64_t m_id;
  UvAny* m_handle;  // freed in on_closed
  Peer m_peer;
  RequestParser m_parser;
  std::string m_in;  // bytes read but not yet parsed (pipelined requests wait here)
  State m_state = State::open;
  bool m_busy = false;        // a request was dispatched and its response is not complete
  bool m_processing = false;  // inside process(): responses completing now need no reschedule
  bool m_reading = false;
  bool m_eof = false;
  bool m_keep_alive = true;  // of the current request
  bool m_http10 = false;
  bool m_close_after = false;  // server shutdown: close once the pending response is done
  bool m_refused = false;      // answered 503 at accept; not counted in max_connections
  std::uint64_t m_seq = 0;
  std::function<void()> m_on_close;
  std::function<void()> m_on_drain;
  size_t m_drain_below = 0;
  size_t m_write_bytes = 0;
  size_t m_buffered = 0;           // as last reported to the server
  std::uint64_t m_deadline = 0;    // uv_now ms, 0 = none
  std::uint64_t m_msg_start = 0;   // the current request's first byte (first request: accept)
  std::uint64_t m_idle_since = 0;  // the last response completed (or accept)
  std::uint64_t m_req_start = 0;
  std::string m_req_line;              // "GET /path", for the debug log
  std::shared_ptr<Connection> m_self;  // set by detach()
};

}  // namespace harness::http
