// Server: listeners, accepting, deadlines and shutdown. Loop thread only (libuv connection,
// timer, idle and close callbacks). Connections do the per-request work (connection.cpp).
//
// Every handle the server owns is a heap UvAny closed through close_counted(): its close
// callback frees it and, while the server lives, counts it down so close() can call `done`
// exactly when nothing is left. The destructor detaches whatever is still closing.
#include "lib/http/server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "lib/http/connection.hpp"
#include "lib/loop/listener.hpp"

namespace harness::http {
namespace {
constexpr size_t k_read_buffer = 64u << 10;
constexpr int k_backlog = 511;
// Connections answered 503 over max_connections linger briefly so the client reads the answer;
// past this many at once, further ones are closed without a word.
constexpr size_t k_max_refusing = 64;

std::string ip_port(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
    return std::string(ip) + ":" + std::to_string(port);
  }
  const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
  uv_ip6_name(a, ip, sizeof ip);
  port = ntohs(a->sin6_port);
  return "[" + std::string(ip) + "]:" + std::to_string(port);
}

PeerCred peer_cred(const uv_stream_t* s) {
  PeerCred out;
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(s), &fd) != 0) return out;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return out;
  out.known = true;
  out.uid = cred.uid;
  out.gid = cred.gid;
  out.pid = cred.pid;
  return out;
}
}  // namespace

struct Server::Listener {
  UvAny* handle = nullptr;  // data = this while listening
  Server* server = nullptr;
  bool tcp = false;
  std::string unix_path;
  loop::BoundUnixSocket unix_socket;
};

Server::Server(uv_loop_t* loop, ServerOptions opts, Handler handler)
    : m_loop(loop), m_opts(opts), m_handler(std::move(handler)), m_read_buf(k_read_buffer) {
  auto* t = new UvAny;
  uv_timer_init(loop, &t->timer);
  t->handle.data = this;
  m_sweep = &t->timer;
  auto* i = new UvAny;
  uv_idle_init(loop, &i->idle);
  i->handle.data = this;
  m_idle = &i->idle;
  // Sweep often enough for the shortest deadline, at most once a second; unref'd because
  // listeners and connections are what keep the loop alive.
  std::int64_t shortest = std::min({m_opts.request_timeout_ms, m_opts.idle_timeout_ms,
                                    m_opts.close_grace_ms, std::int64_t{2'000}});
  auto interval = static_cast<std::uint64_t>(std::clamp<std::int64_t>(shortest / 4, 5, 1'000));
  uv_timer_start(
      m_sweep,
      [](uv_timer_t* t) noexcept {
        if (auto* s = static_cast<Server*>(t->data)) s->sweep();
      },
      interval, interval);
  uv_unref(&t->handle);
}

Server::~Server() {
  // Whatever is still open or closing is freed by its close callback without calling back.
  for (auto* h : m_closing) h->data = nullptr;
  auto detach = [](uv_handle_t* h) {
    h->data = nullptr;
    if (!uv_is_closing(h)) uv_close(h, &Server::on_handle_closed);
  };
  for (auto& l : m_listeners) {
    if (l->handle) detach(&l->handle->handle);
    if (!l->unix_path.empty()) loop::remove_unix_socket(l->unix_path, l->unix_socket);
  }
  if (!m_timers_closed) {
    detach(reinterpret_cast<uv_handle_t*>(m_sweep));
    detach(reinterpret_cast<uv_handle_t*>(m_idle));
  }
  auto conns = std::move(m_conns);
  for (auto& [id, c] : conns) c->detach();
}

void Server::on_handle_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<Server*>(h->data);
  delete reinterpret_cast<UvAny*>(h);
  if (!self) return;
  std::erase(self->m_closing, h);
  self->maybe_finish_close();
}

void Server::close_counted(uv_handle_t* h) {
  if (uv_is_closing(h)) return;
  h->data = this;
  m_closing.push_back(h);
  uv_close(h, &Server::on_handle_closed);
}

Status Server::listen_unix(const std::string& path, int mode, gid_t group) {
  if (m_closing_down) return make_error(ErrorCode::unavailable, "server is closing");
  HARNESS_TRY_ASSIGN(auto bound, loop::bind_unix_socket(path, mode, group));
  auto l = std::make_unique<Listener>();
  l->handle = new UvAny;
  uv_pipe_init(m_loop, &l->handle->pipe, 0);
  int rc = uv_pipe_open(&l->handle->pipe, bound.fd);
  if (rc != 0) {
    ::close(bound.fd);
    loop::remove_unix_socket(path, bound);
    l->handle->handle.data = nullptr;
    uv_close(&l->handle->handle, &Server::on_handle_closed);  // data is null: frees only
    return make_error(ErrorCode::internal,
                      "cannot use unix socket " + path + ": " + uv_strerror(rc));
  }
  l->unix_path = path;
  l->unix_socket = bound;
  if (int rc = start_listener(std::move(l)); rc != 0) {
    loop::remove_unix_socket(path, bound);
    return make_error(ErrorCode::internal,
                      "cannot listen on unix socket " + path + ": " + uv_strerror(rc));
  }
  spdlog::info("http: listening on unix socket {} (mode {:o})", path, mode);
  return {};
}

Status Server::listen_tcp(const std::string& host, int port) {
  if (m_closing_down) return make_error(ErrorCode::unavailable, "server is closing");
  std::string where = host + ":" + std::to_string(port);
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0 &&
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0)
    return make_error(ErrorCode::invalid,
                      "cannot listen on " + where + ": not a numeric IP address");
  auto l = std::make_unique<Listener>();
  l->tcp = true;
  l->handle = new UvAny;
  l->handle->handle.data = nullptr;
  uv_tcp_init(m_loop, &l->handle->tcp);
  int rc = uv_tcp_bind(&l->handle->tcp, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc != 0) {
    uv_close(&l->handle->handle, &Server::on_handle_closed);
    return make_error(ErrorCode::unavailable, "cannot listen on " + where + ": " + uv_strerror(rc));
  }
  auto* tcp = &l->handle->tcp;
  // Bind errors such as EADDRINUSE may only surface at listen time.
  if (rc = start_listener(std::move(l)); rc != 0)
    return make_error(ErrorCode::unavailable, "cannot listen on " + where + ": " + uv_strerror(rc));
  sockaddr_storage bound{};
  int len = sizeof bound;
  if (m_tcp_port == 0 && uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&bound), &len) == 0)
    m_tcp_port = bound.ss_family == AF_INET
                     ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                     : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  spdlog::info("http: listening on tcp {}:{}", host, m_tcp_port);
  return {};
}

int Server::start_listener(std::unique_ptr<Listener> l) {
  l->server = this;
  l->handle->handle.data = l.get();
  int rc = uv_listen(&l->handle->stream, k_backlog, [](uv_stream_t* s, int status) noexcept {
    auto* l = static_cast<Listener*>(s->data);
    if (l && l->server && status == 0) l->server->accept_one(*l);
  });
  if (rc != 0) {
    l->handle->handle.data = nullptr;
    uv_close(&l->handle->handle, &Server::on_handle_closed);  // frees only
    return rc;
  }
  m_listeners.push_back(std::move(l));
  return 0;
}

void Server::accept_one(Listener& l) {
  auto* h = new UvAny;
  if (l.tcp) {
    uv_tcp_init(m_loop, &h->tcp);
  } else {
    uv_pipe_init(m_loop, &h->pipe, 0);
  }
  h->handle.data = nullptr;
  if (uv_accept(&l.handle->stream, &h->stream) != 0) {
    uv_close(&h->handle, &Server::on_handle_closed);
    return;
  }
  bool full = m_active >= m_opts.max_connections;
  if (m_closing_down || (full && m_refusing >= k_max_refusing)) {
    uv_close(&h->handle, &Server::on_handle_closed);
    return;
  }
  Connection::Peer peer;
  if (l.tcp) {
    uv_tcp_nodelay(&h->tcp, 1);
    sockaddr_storage ss{};
    int len = sizeof ss;
    uv_tcp_getpeername(&h->tcp, reinterpret_cast<sockaddr*>(&ss), &len);
    peer.transport = "tcp";
    peer.remote = ip_port(ss);
  } else {
    peer.transport = "unix";
    peer.remote = "unix";
    peer.cred = peer_cred(&h->stream);
  }
  auto id = m_next_id++;
  std::string remote = peer.remote;
  auto conn = std::make_shared<Connection>(this, id, h, std::move(peer));
  m_conns.emplace(id, conn);
  if (full) {
    ++m_refusing;
    spdlog::warn("http: refusing a connection from {}: {} open (max_connections {})", remote,
                 m_active, m_opts.max_connections);
    conn->refuse("too many connections: " + std::to_string(m_active) +
                 " are open (max_connections " + std::to_string(m_opts.max_connections) + ")");
    return;
  }
  ++m_active;
  conn->start();
}

void Server::sweep() {
  auto t = now();
  bool grace_over = m_closing_down && t >= m_grace_deadline;
  // Closing never erases synchronously (that happens in close callbacks), so iterating is safe.
  for (auto& [id, c] : m_conns) {
    if (grace_over) {
      c->close();
    } else {
      c->check_deadline(t);
    }
  }
}

void Server::schedule(std::uint64_t conn_id) {
  if (m_timers_closed) return;
  m_ready.push_back(conn_id);
  uv_idle_start(m_idle, [](uv_idle_t* i) noexcept {
    if (auto* s = static_cast<Server*>(i->data)) s->run_scheduled();
  });
}

void Server::run_scheduled() {
  auto ready = std::move(m_ready);
  m_ready.clear();
  for (auto id : ready) {
    auto it = m_conns.find(id);
    if (it == m_conns.end()) continue;
    auto keep = it->second;
    keep->process();
  }
  if (m_ready.empty() && !m_timers_closed) uv_idle_stop(m_idle);
}

void Server::connection_closed(std::uint64_t conn_id) {
  auto it = m_conns.find(conn_id);
  if (it == m_conns.end()) return;
  --(it->second->refused() ? m_refusing : m_active);
  m_conns.erase(it);
  maybe_finish_close();
}

void Server::note_buffered(size_t before, size_t after) {
  m_buffered = m_buffered - before + after;
  if (m_buffered > m_opts.max_buffered_bytes && !m_evicting) evict_biggest();
}

// Over the cap, the connections holding the most go first: they are the likeliest abusers and
// dropping them frees the most with the fewest victims (redis' client-output-buffer policy).
void Server::evict_biggest() {
  m_evicting = true;
  std::vector<std::pair<size_t, Connection*>> holders;
  for (auto& [id, c] : m_conns)
    if (c->buffered() > 0) holders.emplace_back(c->buffered(), c.get());
  std::sort(holders.begin(), holders.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (auto& [held, c] : holders) {
    if (m_buffered <= m_opts.max_buffered_bytes) break;
    c->evict(m_buffered, m_opts.max_buffered_bytes);
  }
  m_evicting = false;
}

void Server::close(std::function<void()> done) {
  if (m_closing_down) {
    if (!done) return;
    if (m_finished) {
      done();
    } else if (!m_done) {
      m_done = std::move(done);
    } else {
      m_done = [first = std::move(m_done), second = std::move(done)] {
        first();
        second();
      };
    }
    return;
  }
  m_closing_down = true;
  m_done = std::move(done);
  m_grace_deadline = now() + static_cast<std::uint64_t>(m_opts.close_grace_ms);
  for (auto& l : m_listeners) {
    if (l->handle) close_counted(&l->handle->handle);
    l->handle = nullptr;
    if (!l->unix_path.empty()) loop::remove_unix_socket(l->unix_path, l->unix_socket);
    l->unix_path.clear();
  }
  spdlog::info("http: closing, {} connection(s) open", m_conns.size());
  for (auto& [id, c] : m_conns) c->close_when_idle();
  maybe_finish_close();
}

void Server::maybe_finish_close() {
  if (!m_closing_down || !m_conns.empty()) return;
  if (!m_timers_closed) {
    m_timers_closed = true;
    close_counted(reinterpret_cast<uv_handle_t*>(m_sweep));
    close_counted(reinterpret_cast<uv_handle_t*>(m_idle));
    return;
  }
  if (m_closing.empty() && !m_finished) {
    m_finished = true;
    auto done = std::move(m_done);
    m_done = nullptr;
    if (done) done();
  }
}

}  // namespace harness::http
