#pragma once
// HTTP/1.1 server on libuv for harnessd's JSON API, over unix sockets and TCP.
//
// Threads: everything here runs on the loop thread — accepting, reading, parsing, calling the
// handler, writing. Handlers may answer later (after async work) but only from the loop thread.
// Requests on one connection are answered strictly in order: the next pipelined request is not
// dispatched until the previous response is complete.

#include <sys/types.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/base/result.hpp"
#include "lib/http/response.hpp"

namespace harness::http {

class Connection;

// The caller's credentials from SO_PEERCRED (unix sockets only; known=false on TCP).
struct PeerCred {
  bool known = false;
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

struct Request {
  std::string method;                        // "GET", "POST"...
  std::string target;                        // raw request target
  std::string path;                          // percent-decoded path without query
  std::map<std::string, std::string> query;  // decoded query params; a repeated key keeps the last
  std::multimap<std::string, std::string> query_all;         // every pair, repeated keys included
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string transport;  // "unix" or "tcp"
  std::string remote;     // "unix" or "ip:port"
  PeerCred peer;
  // The first value of the header named `lower_name`, "" when absent.
  std::string header(std::string_view lower_name) const;
};

// One response to one request. Handlers may answer later (after async work); all methods are
// loop-thread only and are no-ops once the connection is gone. Answering twice is a no-op too.
class Responder {
 public:
  // Made by the server for each request; handlers only receive it.
  Responder(std::weak_ptr<Connection> conn, std::uint64_t seq, bool head_only);

  // A complete response with Content-Length.
  void send(int status, std::string_view content_type, std::string body,
            std::vector<std::pair<std::string, std::string>> extra_headers = {});
  // A complete application/json response.
  void send_json(int status, const nlohmann::json& body);
  // {"error":{"code","message"}} with http_status(e.code).
  void send_error(const harness::Error& e);

  // Streaming with chunked transfer encoding: start_stream, any number of write_chunk, then
  // end_stream. write_chunk returns false if the connection is gone (stop producing).
  void start_stream(int status, std::string_view content_type);
  bool write_chunk(std::string data);
  void end_stream();

  // Bytes queued on the connection whose writes have not completed yet (for backpressure).
  size_t write_queue_bytes() const;
  // Bytes libuv could not hand to the socket yet: what the client has not taken.
  size_t unsent_bytes() const;
  // `fn` runs once, on the loop, when unsent_bytes() falls to `below` or less (right away if it
  // already has). Dropped if the connection goes away or the response completes first.
  void on_drain(size_t below, std::function<void()> fn);
  // True when the client went away (or the server force-closed the connection).
  bool closed() const;
  // `fn` runs once, on the loop, if the client disconnects before the response completes. It is
  // not called when the connection is already gone at registration (check closed()).
  void on_close(std::function<void()> fn);
  // True once send*/start_stream was called.
  bool responded() const { return m_started; }
  // `fn` runs once with the status when the response starts (send*, start_stream).
  void on_status(std::function<void(int)> fn) { m_on_status = std::move(fn); }

 private:
  std::shared_ptr<Connection> live() const;

  std::weak_ptr<Connection> m_conn;
  std::uint64_t m_seq;
  bool m_head_only;
  bool m_started = false;
  bool m_streaming = false;
  bool m_finished = false;
  std::function<void(int)> m_on_status;
};

using Handler = std::function<void(Request&& req, std::shared_ptr<Responder> res)>;

struct ServerOptions {
  size_t max_body_bytes = 8u << 20;
  size_t max_header_bytes = 80u << 10;
  // A request's head and body must arrive within this, counted from its first byte (the first
  // request of a connection: from accept). Reads never extend it, so trickling bytes cannot.
  std::int64_t request_timeout_ms = 30'000;
  std::int64_t idle_timeout_ms = 60'000;  // a kept-alive connection waiting for its next request
  size_t max_connections = 1024;          // further connections get a 503 and are closed
  // Unfinished request bytes held across all connections; past it the connections holding the
  // most are answered 503 and closed.
  size_t max_buffered_bytes = 64u << 20;
  // A streaming response whose unsent bytes pass this is cut off (0 = no cap).
  size_t max_stream_buffer_bytes = 8u << 20;
  std::int64_t close_grace_ms = 5'000;  // close(): how long in-flight responses may finish
};

// An answer decided from a request's head alone, before any of its body is read.
struct EarlyAnswer {
  int status = 400;
  Error error;
  std::vector<std::pair<std::string, std::string>> headers;
};
// Looks at a request's head (body empty); nullopt lets the request through.
using HeadCheck = std::function<std::optional<EarlyAnswer>(const Request& head)>;

class Server {
 public:
  Server(uv_loop_t* loop, ServerOptions opts, Handler handler);
  // Closes whatever is still open without waiting; prefer close() and running the loop first.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Listens on a unix socket with permissions `mode` (and group `group` unless -1). The socket is
  // bound in a fresh private directory (0700) beside `path`, chmod/chown'ed there, then renamed
  // onto `path`, so it is never more accessible than `mode`. A stale socket file (nobody
  // accepting) is replaced; a live one is an error "another daemon is listening on PATH".
  harness::Status listen_unix(const std::string& path, int mode = 0660, gid_t group = (gid_t)-1);
  // Listens on TCP; host is a numeric IPv4/IPv6 address, port 0 picks an ephemeral port.
  harness::Status listen_tcp(const std::string& host, int port);
  // The bound port after listen_tcp (the first TCP listener), 0 if none.
  int tcp_port() const { return m_tcp_port; }

  // Stops accepting, closes idle connections, lets in-flight responses finish (closing their
  // connections afterwards) or closes them after close_grace_ms, removes the unix socket files
  // it created, and calls `done` on the loop once all its handles are closed. Calling it again adds
  // another `done` (run at once if the close already finished).
  void close(std::function<void()> done);
  // Called with the head of every request once it is complete, before its body is read; an
  // answer it returns is sent with Connection: close and the body is never buffered.
  void set_head_check(HeadCheck check) { m_head_check = std::move(check); }
  // Open connections, including ones being closed or refused.
  size_t connection_count() const { return m_conns.size(); }
  // Unfinished request bytes held across all connections.
  size_t buffered_bytes() const { return m_buffered; }

 private:
  friend class Connection;
  struct Listener;

  static void on_handle_closed(uv_handle_t* h) noexcept;
  void close_counted(uv_handle_t* h);
  int start_listener(std::unique_ptr<Listener> l);  // uv_listen; 0 or a libuv error
  void accept_one(Listener& l);
  void sweep();
  void schedule(std::uint64_t conn_id);
  void run_scheduled();
  void connection_closed(std::uint64_t conn_id);
  // A connection's unfinished request bytes went from `before` to `after`.
  void note_buffered(size_t before, size_t after);
  void evict_biggest();
  void maybe_finish_close();
  std::uint64_t now() const { return uv_now(m_loop); }

  uv_loop_t* m_loop;
  ServerOptions m_opts;
  Handler m_handler;
  HeadCheck m_head_check;
  std::vector<char> m_read_buf;
  std::vector<std::unique_ptr<Listener>> m_listeners;
  std::unordered_map<std::uint64_t, std::shared_ptr<Connection>> m_conns;
  std::vector<std::uint64_t> m_ready;   // connections whose next request can be parsed
  uv_timer_t* m_sweep = nullptr;        // deadlines: header/idle timeouts, linger, close grace
  uv_idle_t* m_idle = nullptr;          // runs m_ready on the next loop iteration
  std::vector<uv_handle_t*> m_closing;  // handles with a counted close in flight
  std::uint64_t m_next_id = 1;
  size_t m_active = 0;    // connections counted against max_connections
  size_t m_refusing = 0;  // connections being answered 503
  size_t m_buffered = 0;  // sum of the connections' unfinished request bytes
  bool m_evicting = false;
  int m_tcp_port = 0;
  bool m_closing_down = false;
  bool m_timers_closed = false;
  bool m_finished = false;  // every handle is closed; done was called
  std::uint64_t m_grace_deadline = 0;
  std::function<void()> m_done;
};

}  // namespace harness::http
