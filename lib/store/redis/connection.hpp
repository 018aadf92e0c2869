#pragma once
// One hiredis async connection on the loop, kept alive: name resolution off the loop
// (uv_getaddrinfo), connect timeout, AUTH (ACL user or password only), SELECT, a caller's setup
// step, then commands with a per-command timeout. When the connection breaks or a command
// times out, every pending command fails `unavailable`, and it reconnects with exponential
// backoff until close(). Loop thread only: every method and every callback.
//
// Lifetime: the hiredis context points at this object through `ac->data`; every hiredis
// callback goes through a trampoline that does nothing once `data` is cleared, which happens
// before this object lets go of a context. Commands carry an id (privdata), not a pointer.

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/loop/timer.hpp"
#include "lib/store/redis/reply.hpp"
#include "lib/store/redis/url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace harness::store::redis {

struct ConnectionOptions {
  RedisUrl url;
  std::int64_t connect_timeout_ms = 2000;  // resolve + connect + AUTH + SELECT + setup
  std::int64_t command_timeout_ms = 5000;  // per command; then the connection is dropped
  std::int64_t backoff_min_ms = 100;       // first reconnect delay; doubles per failure
  std::int64_t backoff_max_ms = 5000;
};

class Connection {
 public:
  enum class State { idle, connecting, ready, backoff, closed };
  using ReplyFn = std::function<void(Result<Reply>)>;
  // Runs once per connection after AUTH/SELECT, before the connection is ready; may call
  // command(). Reports failure through `done`, and the connection is dropped and retried.
  using SetupFn = std::function<void(std::function<void(Status)> done)>;

  Connection(uv_loop_t* loop, ConnectionOptions opts, SetupFn setup,
             std::function<void()> on_state_change);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Frees the context (pending commands are dropped without their callbacks).
  ~Connection();

  // Starts the first connection attempt.
  void start();
  State state() const { return m_state; }
  // Why the connection is not ready: "redis HOST:PORT: reason" (never the password).
  const std::string& why() const { return m_why; }
  const RedisUrl& url() const { return m_opts.url; }

  // Sends one command. `fn` is called exactly once, later: with the reply (Redis errors are
  // replies, see Reply::is_error), or `unavailable` when the connection is not usable (not
  // ready and not in its setup step), breaks, times out, or is closed.
  void command(std::vector<std::string> argv, ReplyFn fn);
  // Fails pending commands (`unavailable`, "closed"), frees the context, stops reconnecting.
  // Idempotent. The handles are released when this object is destroyed.
  void close();

 private:
  struct Pending {
    std::uint64_t id;
    std::uint64_t deadline;  // uv_now() ms
    ReplyFn fn;
  };

  void attempt();
  void on_resolved(int status, const std::string& ip);
  void connect_to(const std::string& ip);
  void handshake_step(size_t step);
  void become_ready();
  // The current context broke (hiredis is freeing it): forget it without freeing.
  void lost(std::string reason);
  // Frees the current context ourselves; never from inside onConnect.
  void drop(std::string reason);
  void fail_pending(const std::string& reason);
  void enter_backoff(std::string reason);
  void arm_watchdog();
  void set_state(State s);
  Error unavailable(const std::string& reason) const;

  static void on_connect(const redisAsyncContext* ac, int status) noexcept;
  static void on_disconnect(const redisAsyncContext* ac, int status) noexcept;
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;
  void handle_reply(std::uint64_t id, redisReply* reply);

  uv_loop_t* m_loop;
  ConnectionOptions m_opts;
  SetupFn m_setup;
  std::function<void()> m_on_state_change;
  State m_state = State::idle;
  bool m_in_setup = false;  // commands allowed before ready: the handshake and setup
  std::string m_why;
  redisAsyncContext* m_ac = nullptr;
  std::uint64_t m_attempt = 0;  // bumped per attempt: stale resolver answers are dropped
  std::uint64_t m_next_id = 1;
  std::deque<Pending> m_pending;  // replies come back in this order
  std::int64_t m_backoff_ms = 0;
  std::uint64_t m_down_since = 0;  // uv_now() of the first failure since ready; 0 = up
  loop::Timer m_connect_timer;
  loop::Timer m_watchdog;
  loop::Timer m_backoff_timer;
  std::shared_ptr<Connection*> m_self;  // cleared on destruction; held by resolver requests
};

}  // namespace harness::store::redis
