// RedisStore: lifecycle, the job queue, the connection's setup step. Loop thread only.
//
// Jobs wait while the connection is (re)connecting, run one at a time when it is ready, and
// fail `unavailable` (with the connection's reason) as soon as it is in backoff: queued ones at
// once, new ones on arrival. A job that was running when the connection broke fails through its
// command. Closing lets the accepted jobs finish, then closes the connection and releases every
// handle before calling the waiters.
#include "lib/store/redis/redis_store.hpp"

#include "lib/loop/defer.hpp"
#include "lib/store/redis/codec.hpp"
#include "lib/store/redis/keys.hpp"
#include "lib/store/redis/redis_store_impl.hpp"
#include "lib/store/redis/url.hpp"

namespace harness::store::redis {

RedisStore::RedisStore(uv_loop_t* loop, ConnectionOptions opts)
    : m_loop(loop), m_endpoint(opts.url.endpoint()), m_kick(std::make_unique<loop::Timer>(loop)) {
  m_conn = std::make_unique<Connection>(
      loop, std::move(opts), [this](std::function<void(Status)> done) { setup(std::move(done)); },
      [this] { on_connection_state(); });
}

RedisStore::~RedisStore() {
  m_jobs.clear();
  m_conn.reset();
}

void RedisStore::start() {
  m_conn->start();
}

void RedisStore::setup(std::function<void(Status)> done) {
  m_scripts.load_all(*m_conn, [this, done](Status s) {
    if (!s) return done(s);
    m_scripts.run(
        *m_conn, ScriptId::init, {std::to_string(k_schema_version), std::string(k_queue_group)},
        [done](Result<Reply> r) {
          if (!r) return done(r.error());
          std::string_view status = script_status(*r);
          std::string detail(r->at(1).text().value_or(r->str));
          if (status == "ok") return done({});
          if (status == "newer")
            return done(make_error(ErrorCode::unavailable,
                                   "the database holds harness data of layout version " + detail +
                                       ", newer than this harnessd supports (" +
                                       std::to_string(k_schema_version) + "); upgrade harnessd"));
          done(make_error(ErrorCode::unavailable, "setup failed: " + detail));
        });
  });
}

void RedisStore::on_connection_state() {
  switch (m_conn->state()) {
    case Connection::State::backoff: {
      m_cache.clear();  // writes in flight may or may not have happened
      std::deque<Job> jobs;
      jobs.swap(m_jobs);
      for (auto& j : jobs) j.fail(make_error(ErrorCode::unavailable, m_conn->why()));
      if (m_state == State::closing) kick();
      break;
    }
    case Connection::State::ready:
      kick();
      break;
    default:
      break;
  }
}

void RedisStore::add_job(Job job) {
  if (m_state != State::open || m_conn->state() == Connection::State::backoff) {
    Error e = m_state != State::open ? make_error(ErrorCode::unavailable, "the store is closed")
                                     : make_error(ErrorCode::unavailable, m_conn->why());
    loop::defer(m_loop, [fail = std::move(job.fail), e]() mutable { fail(std::move(e)); });
    return;
  }
  m_jobs.push_back(std::move(job));
  kick();
}

void RedisStore::kick() {
  if (m_kick && !m_kick->active()) m_kick->start(0, [this] { pump(); });
}

void RedisStore::pump() {
  if (m_busy) return;
  if (m_jobs.empty()) {
    if (m_state == State::closing) finish_close();
    return;
  }
  if (m_conn->state() != Connection::State::ready) return;  // on_connection_state kicks again
  Job job = std::move(m_jobs.front());
  m_jobs.pop_front();
  m_busy = true;
  job.run();
}

void RedisStore::job_done(std::uint64_t job) {
  if (job != m_job || !m_busy) return;
  m_busy = false;
  kick();
}

void RedisStore::close(std::function<void()> done) {
  if (m_state == State::closed) {
    loop::defer(m_loop, [done = std::move(done)] {
      if (done) done();
    });
    return;
  }
  m_close_waiters.push_back(std::move(done));
  if (m_state == State::closing) return;
  m_state = State::closing;
  kick();
}

// From pump(), on the kick timer: the connection is freed now (not from a hiredis callback);
// the timers go on the next iteration, outside the kick timer's own callback, and only then
// are the waiters told.
void RedisStore::finish_close() {
  m_state = State::closed;
  m_conn->close();
  m_cache.clear();
  std::weak_ptr<bool> alive = m_alive;
  loop::defer(m_loop, [this, alive] {
    if (alive.expired()) return;
    m_conn.reset();
    m_kick.reset();
    auto waiters = std::move(m_close_waiters);
    m_close_waiters.clear();
    for (auto& w : waiters)
      if (w) w();
  });
}

void RedisStore::script(ScriptId id, std::vector<std::string> args,
                        std::function<void(Result<Reply>)> fn) {
  m_scripts.run(*m_conn, id, std::move(args), [this, fn = std::move(fn)](Result<Reply> r) {
    if (r && r->is_error()) return fn(redis_error(*r, m_endpoint));
    fn(std::move(r));
  });
}

Result<std::unique_ptr<Store>> open_redis_store(uv_loop_t* loop, const std::string& url,
                                                const StoreOptions& options) {
  HARNESS_TRY_ASSIGN(RedisUrl parsed, parse_redis_url(url));
  ConnectionOptions opts;
  opts.url = std::move(parsed);
  opts.connect_timeout_ms = options.connect_timeout_ms;
  opts.command_timeout_ms = options.command_timeout_ms;
  auto store = std::make_unique<RedisStore>(loop, std::move(opts));
  store->start();
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace harness::store::redis
