// Loop thread only. States: idle -> connecting (resolve, connect, handshake, setup) -> ready;
// any failure -> backoff -> connecting ...; close() -> closed from anywhere.
//
// hiredis rules this file relies on (0.14.1, async.c):
// - onConnect is only called on the first socket event, and the socket is only polled for
//   writing once a command is queued, so the handshake's first command is queued right after
//   redisAsyncConnect.
// - When the socket fails, hiredis calls every pending reply callback with a NULL reply, then
//   onConnect(ERR) or onDisconnect, then frees the context itself: lost() only forgets it.
// - redisAsyncFree inside a reply callback is deferred by hiredis until the callback returns;
//   inside onConnect it is not (use after free), so nothing frees a context from there.
#include "lib/store/redis/connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "lib/loop/defer.hpp"
#include "lib/store/redis/uv_adapter.hpp"

namespace harness::store::redis {
namespace {

struct Resolve {
  uv_getaddrinfo_t req;
  std::shared_ptr<Connection*> owner;
  std::uint64_t attempt;
};

bool is_numeric_address(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return uv_inet_pton(AF_INET, host.c_str(), buf) == 0 ||
         uv_inet_pton(AF_INET6, host.c_str(), buf) == 0;
}

// The address to connect to: the first IPv4 one if any, else the first IPv6 one (what hiredis'
// own resolver prefers; "localhost" may list ::1 first while Redis listens on 127.0.0.1 only).
std::string numeric_name(const addrinfo* list) {
  const addrinfo* ai = list;
  for (const addrinfo* a = list; a; a = a->ai_next)
    if (a->ai_family == AF_INET) {
      ai = a;
      break;
    }
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ai->ai_family == AF_INET)
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(ai->ai_addr), buf, sizeof buf);
  else if (ai->ai_family == AF_INET6)
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(ai->ai_addr), buf, sizeof buf);
  return buf;
}

std::int64_t jittered(std::int64_t ms) {
  static std::minstd_rand rng(std::random_device{}());
  std::uniform_int_distribution<std::int64_t> d(ms / 2, ms);
  return std::max<std::int64_t>(1, d(rng));
}

}  // namespace

Connection::Connection(uv_loop_t* loop, ConnectionOptions opts, SetupFn setup,
                       std::function<void()> on_state_change)
    : m_loop(loop),
      m_opts(std::move(opts)),
      m_setup(std::move(setup)),
      m_on_state_change(std::move(on_state_change)),
      m_why("redis " + m_opts.url.endpoint() + ": not connected yet"),
      m_connect_timer(loop),
      m_watchdog(loop),
      m_backoff_timer(loop),
      m_self(std::make_shared<Connection*>(this)) {}

Connection::~Connection() {
  *m_self = nullptr;
  m_pending.clear();
  if (redisAsyncContext* ac = std::exchange(m_ac, nullptr)) {
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
}

void Connection::start() {
  if (m_state == State::idle) attempt();
}

Error Connection::unavailable(const std::string& reason) const {
  return make_error(ErrorCode::unavailable, reason);
}

void Connection::set_state(State s) {
  m_state = s;
  if (m_on_state_change) m_on_state_change();
}

void Connection::attempt() {
  ++m_attempt;
  m_in_setup = false;
  m_state = State::connecting;
  m_connect_timer.start(static_cast<std::uint64_t>(m_opts.connect_timeout_ms), [this] {
    std::string why = "no connection within " + std::to_string(m_opts.connect_timeout_ms) + " ms";
    if (m_ac) return drop(why);
    ++m_attempt;  // a resolver answer that comes later is dropped
    enter_backoff("cannot resolve " + m_opts.url.host + ": " + why);
  });
  const std::string& host = m_opts.url.host;
  if (is_numeric_address(host)) return connect_to(host);
  auto* r = new Resolve{{}, m_self, m_attempt};
  r->req.data = r;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(
      m_loop, &r->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept {
        std::unique_ptr<Resolve> r(static_cast<Resolve*>(req->data));
        std::string ip = status == 0 && res ? numeric_name(res) : std::string();
        uv_freeaddrinfo(res);
        Connection* self = *r->owner;
        if (!self || r->attempt != self->m_attempt || self->m_state != State::connecting) return;
        self->on_resolved(status, ip);
      },
      host.c_str(), nullptr, &hints);
  if (rc != 0) {
    delete r;
    enter_backoff("cannot resolve " + host + ": " + uv_strerror(rc));
  }
}

void Connection::on_resolved(int status, const std::string& ip) {
  if (status != 0 || ip.empty())
    return enter_backoff("cannot resolve " + m_opts.url.host + ": " +
                         (status ? uv_strerror(status) : "no IPv4 or IPv6 address"));
  connect_to(ip);
}

void Connection::connect_to(const std::string& ip) {
  redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), m_opts.url.port);
  if (!ac) return enter_backoff("out of memory");
  if (ac->err) {
    std::string e = ac->errstr;
    redisAsyncFree(ac);
    return enter_backoff(e);
  }
  if (!attach_to_loop(ac, m_loop)) {
    redisAsyncFree(ac);
    return enter_backoff("cannot poll the connection's socket");
  }
  redisEnableKeepAlive(&ac->c);
  ac->data = this;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  m_ac = ac;
  m_in_setup = true;
  handshake_step(0);
}

// 0: AUTH (when there is a password or a user), 1: SELECT (db != 0), 2: PING, then setup.
void Connection::handshake_step(size_t step) {
  const RedisUrl& u = m_opts.url;
  std::vector<std::string> argv;
  std::string what;
  if (step == 0 && !u.password.empty()) {
    argv = u.user.empty() ? std::vector<std::string>{"AUTH", u.password}
                          : std::vector<std::string>{"AUTH", u.user, u.password};
    what = u.user.empty() ? "AUTH" : "AUTH as " + u.user;
  } else if (step == 1 && u.db != 0) {
    argv = {"SELECT", std::to_string(u.db)};
    what = "SELECT " + std::to_string(u.db);
  } else if (step == 2) {
    argv = {"PING"};
    what = "PING";
  } else if (step > 2) {
    std::uint64_t attempt = m_attempt;
    return m_setup([this, attempt](Status s) {
      if (attempt != m_attempt || m_state != State::connecting) return;
      if (!s) return drop(s.error().message);
      become_ready();
    });
  } else {
    return handshake_step(step + 1);
  }
  command(std::move(argv), [this, step, what](Result<Reply> r) {
    if (!r) return;  // the connection is already being torn down
    if (r->is_error()) return drop(what + " failed: " + r->str);
    handshake_step(step + 1);
  });
}

void Connection::become_ready() {
  m_connect_timer.stop();
  m_in_setup = false;
  m_backoff_ms = 0;
  std::string where = m_opts.url.display();
  if (m_down_since) {
    std::uint64_t down_ms = uv_now(m_loop) - m_down_since;
    spdlog::info("redis {}: connected again after {} ms", m_opts.url.endpoint(), down_ms);
  } else {
    spdlog::info("store {}: connected", where);
  }
  m_down_since = 0;
  m_why.clear();
  set_state(State::ready);
}

void Connection::lost(std::string reason) {
  if (m_ac) {
    m_ac->data = nullptr;  // hiredis frees it after this callback
    m_ac = nullptr;
  }
  enter_backoff(std::move(reason));
}

void Connection::drop(std::string reason) {
  if (redisAsyncContext* ac = std::exchange(m_ac, nullptr)) {
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
  enter_backoff(std::move(reason));
}

void Connection::fail_pending(const std::string& reason) {
  std::deque<Pending> pending;
  pending.swap(m_pending);
  for (auto& p : pending) p.fn(unavailable(reason));
}

void Connection::enter_backoff(std::string reason) {
  if (m_state == State::closed) return;
  m_connect_timer.stop();
  m_watchdog.stop();
  m_in_setup = false;
  m_why = "redis " + m_opts.url.endpoint() + ": " + reason;
  if (m_state == State::ready) {
    spdlog::warn("{}; reconnecting", m_why);
  } else if (m_backoff_ms == 0) {
    spdlog::warn("{}; retrying", m_why);
  } else {
    spdlog::debug("{}; retrying", m_why);
  }
  if (!m_down_since) m_down_since = uv_now(m_loop);
  m_backoff_ms =
      m_backoff_ms == 0 ? m_opts.backoff_min_ms : std::min(m_backoff_ms * 2, m_opts.backoff_max_ms);
  m_state = State::backoff;
  m_backoff_timer.start(static_cast<std::uint64_t>(jittered(m_backoff_ms)), [this] {
    if (m_state == State::backoff) attempt();
  });
  fail_pending(m_why);
  if (m_state == State::backoff) set_state(State::backoff);
}

void Connection::arm_watchdog() {
  if (m_pending.empty()) return m_watchdog.stop();
  std::uint64_t now = uv_now(m_loop);
  std::uint64_t due = m_pending.front().deadline;
  m_watchdog.start(due > now ? due - now : 0, [this] {
    if (m_pending.empty()) return;
    if (m_pending.front().deadline > uv_now(m_loop)) return arm_watchdog();
    drop("no answer within " + std::to_string(m_opts.command_timeout_ms) + " ms");
  });
}

void Connection::command(std::vector<std::string> argv, ReplyFn fn) {
  bool usable = m_ac && (m_state == State::ready || m_in_setup);
  std::string why =
      m_state == State::closed ? "redis " + m_opts.url.endpoint() + ": closed" : m_why;
  if (usable) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    std::uint64_t id = m_next_id++;
    int rc = redisAsyncCommandArgv(m_ac, on_reply, reinterpret_cast<void*>(id),
                                   static_cast<int>(argv.size()), ptrs.data(), lens.data());
    if (rc == REDIS_OK) {
      auto timeout = static_cast<std::uint64_t>(m_opts.command_timeout_ms);
      m_pending.push_back(Pending{id, uv_now(m_loop) + timeout, std::move(fn)});
      if (m_pending.size() == 1) arm_watchdog();
      return;
    }
    why = "redis " + m_opts.url.endpoint() + ": the connection is closing";
  }
  // The callback may belong to our owner: it is dropped if this connection is gone by then.
  loop::defer(m_loop, [owner = m_self, fn = std::move(fn), e = unavailable(why)] {
    if (*owner) fn(e);
  });
}

void Connection::close() {
  if (m_state == State::closed) return;
  m_state = State::closed;
  ++m_attempt;
  m_connect_timer.stop();
  m_watchdog.stop();
  m_backoff_timer.stop();
  if (redisAsyncContext* ac = std::exchange(m_ac, nullptr)) {
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
  fail_pending("redis " + m_opts.url.endpoint() + ": closed");
}

void Connection::on_connect(const redisAsyncContext* ac, int status) noexcept {
  auto* self = static_cast<Connection*>(ac->data);
  if (!self || status == REDIS_OK) return;
  self->lost(ac->errstr[0] ? ac->errstr : "cannot connect");
}

void Connection::on_disconnect(const redisAsyncContext* ac, int status) noexcept {
  auto* self = static_cast<Connection*>(ac->data);
  if (!self) return;
  self->lost(ac->errstr[0] ? std::string("connection lost: ") + ac->errstr : "connection closed");
}

void Connection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) noexcept {
  auto* self = static_cast<Connection*>(ac->data);
  if (!self) return;
  if (!reply)
    return self->lost(ac->errstr[0] ? std::string("connection lost: ") + ac->errstr
                                    : "connection lost");
  self->handle_reply(reinterpret_cast<std::uint64_t>(privdata), static_cast<redisReply*>(reply));
}

void Connection::handle_reply(std::uint64_t id, redisReply* reply) {
  if (m_pending.empty() || m_pending.front().id != id) return;  // failed earlier by a drop
  Pending p = std::move(m_pending.front());
  m_pending.pop_front();
  arm_watchdog();
  p.fn(copy_reply(reply));
}

}  // namespace harness::store::redis
