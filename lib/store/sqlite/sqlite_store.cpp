// Loop thread: every public method, close(), the result callbacks. DB thread: the jobs built
// in run(), which call the blocking functions of ops.hpp and post their result to m_results.
//
// Lifetime: jobs capture a raw pointer to m_results. That is safe because the queue is
// destroyed only after the DB thread has been joined; a result posted but not yet drained is
// dropped with the queue (only if the store is destroyed without close()).
#include "lib/store/sqlite/sqlite_store.hpp"

#include <memory>
#include <optional>
#include <vector>

#include "lib/loop/async_queue.hpp"
#include "lib/store/sqlite/db_thread.hpp"
#include "lib/store/sqlite/defer.hpp"
#include "lib/store/sqlite/ops.hpp"
#include "lib/store/sqlite/ops_schedules.hpp"
#include "lib/store/sqlite/schema.hpp"

namespace harness::store::sqlite {
namespace {

Error closed_error() {
  return make_error(ErrorCode::unavailable, "the store is closed");
}

// A job must not let an exception reach the DB thread's loop (std::terminate), and its
// callback must still run: a throw becomes an internal error.
template <class T, class F>
Result<T> guarded(F& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::internal, std::string("store: ") + e.what());
  }
}

// Whether writes work, as the DB thread last saw it (DB thread only). A write that fails with
// unavailable (disk full, file locked, I/O error) marks the store failing; the next write that
// succeeds, or a probe write from ping(), clears it.
class WriteHealth {
 public:
  template <class T>
  Result<T> noted(const Db& db, Result<T> r) {
    if (r) {
      m_failing.clear();
    } else if (r.error().code == ErrorCode::unavailable) {
      m_failing = in_store(db, r.error().message);
      return make_error(ErrorCode::unavailable, m_failing);
    }
    return r;
  }
  // Plain ping while writes work; while they fail, a probe write decides.
  Result<bool> ping(Db& db) {
    if (!m_failing.empty()) HARNESS_TRY(noted(db, probe_write(db)));
    auto r = sqlite::ping(db);
    if (!r) return make_error(r.error().code, in_store(db, r.error().message));
    return r;
  }

 private:
  static std::string in_store(const Db& db, const std::string& why) {
    return "store " + db.path() + ": " + why;
  }
  std::string m_failing;
};

class SqliteStore final : public Store, public ScheduleStore {
 public:
  SqliteStore(uv_loop_t* loop, Db db)
      : m_loop(loop),
        m_results(std::make_unique<loop::AsyncQueue>(loop)),
        m_thread(std::make_unique<DbThread>(std::move(db))) {}

  // Without close(): stops the thread (blocking) and drops undelivered callbacks.
  ~SqliteStore() override { m_thread.reset(); }

  void submit(SubmitRequest req, Callback<SubmitResult> cb) override {
    run(std::move(cb), [req = std::move(req), h = &m_health](Db& db) {
      return h->noted(db, sqlite::submit(db, req));
    });
  }
  void append(std::string leaf_id, std::vector<model::EventDraft> drafts,
              Callback<AppendResult> cb) override {
    run(std::move(cb), [id = std::move(leaf_id), drafts = std::move(drafts), h = &m_health](
                           Db& db) { return h->noted(db, sqlite::append(db, id, drafts)); });
  }
  void get_leaf(std::string id, Callback<model::Leaf> cb) override {
    run(std::move(cb), [id = std::move(id)](Db& db) { return sqlite::get_leaf(db, id); });
  }
  void list_leaves(LeafFilter filter, Callback<LeafPage> cb) override {
    run(std::move(cb), [f = std::move(filter)](Db& db) { return sqlite::list_leaves(db, f); });
  }
  void read_events(EventQuery q, Callback<std::vector<model::Event>> cb) override {
    run(std::move(cb), [q = std::move(q)](Db& db) { return sqlite::read_events(db, q); });
  }
  void get_session(std::string id, Callback<model::Session> cb) override {
    run(std::move(cb), [id = std::move(id)](Db& db) { return sqlite::get_session(db, id); });
  }
  void list_unfinished(Callback<std::vector<model::Leaf>> cb) override {
    run(std::move(cb), [](Db& db) { return sqlite::list_unfinished(db); });
  }
  // One daemon per SQLite database: no claims, leases or fencing.
  void register_node(NodeRequest, Callback<bool> cb) override {
    run(std::move(cb), [](Db&) -> Result<bool> { return true; });
  }
  void claim(ClaimRequest, Callback<ClaimResult> cb) override {
    run(std::move(cb), [](Db&) -> Result<ClaimResult> { return ClaimResult{}; });
  }
  void release(std::string, Callback<bool> cb) override {
    run(std::move(cb), [](Db&) -> Result<bool> { return true; });
  }
  void ping(Callback<bool> cb) override {
    run(std::move(cb), [h = &m_health](Db& db) { return h->ping(db); });
  }
  ScheduleStore* schedules() override { return this; }
  void put_schedule(ScheduleRecord rec, bool replace, Callback<ScheduleRecord> cb) override {
    run(std::move(cb),
        [rec = std::move(rec), replace](Db& db) { return sqlite::put_schedule(db, rec, replace); });
  }
  void get_schedule(std::string name, Callback<ScheduleRecord> cb) override {
    run(std::move(cb), [n = std::move(name)](Db& db) { return sqlite::get_schedule(db, n); });
  }
  void list_schedules(Callback<std::vector<ScheduleRecord>> cb) override {
    run(std::move(cb), [](Db& db) { return sqlite::list_schedules(db); });
  }
  void delete_schedule(std::string name, Callback<bool> cb) override {
    run(std::move(cb), [n = std::move(name)](Db& db) { return sqlite::delete_schedule(db, n); });
  }
  void set_schedule_paused(std::string name, bool paused, Callback<ScheduleRecord> cb) override {
    run(std::move(cb), [n = std::move(name), paused](Db& db) {
      return sqlite::set_schedule_paused(db, n, paused);
    });
  }
  void claim_firing(Firing f, Callback<bool> cb) override {
    run(std::move(cb), [f = std::move(f)](Db& db) { return sqlite::claim_firing(db, f); });
  }
  void update_firing(Firing f, Callback<bool> cb) override {
    run(std::move(cb), [f = std::move(f)](Db& db) { return sqlite::update_firing(db, f); });
  }
  void list_open_firings(Callback<std::vector<Firing>> cb) override {
    run(std::move(cb), [](Db& db) { return sqlite::list_open_firings(db); });
  }
  void close(std::function<void()> done) override;

 private:
  enum class State { open, closing, closed };

  template <class T, class Op>
  void run(Callback<T> cb, Op op);
  void finish_close();

  uv_loop_t* m_loop;
  std::unique_ptr<loop::AsyncQueue> m_results;
  WriteHealth m_health;  // DB thread only; outlives the thread (declared before it)
  std::unique_ptr<DbThread> m_thread;
  State m_state = State::open;
  std::vector<std::function<void()>> m_close_waiters;
};

template <class T, class Op>
void SqliteStore::run(Callback<T> cb, Op op) {
  if (m_state != State::open) {
    defer(m_loop, [cb = std::move(cb)] { cb(closed_error()); });
    return;
  }
  // Re-runnable (DbThread's group commit may run a job twice): the result is kept in `job` and
  // only the last run's is delivered.
  struct Pending {
    Callback<T> cb;
    Op op;
    std::optional<Result<T>> result;
  };
  auto job = std::make_shared<Pending>(Pending{std::move(cb), std::move(op), std::nullopt});
  m_thread->push([job, q = m_results.get()](Db& db) -> DbThread::Delivery {
    auto call = [&] { return job->op(db); };
    job->result.emplace(guarded<T>(call));
    return [job, q] { q->post([job] { job->cb(std::move(*job->result)); }); };
  });
}

void SqliteStore::close(std::function<void()> done) {
  if (m_state == State::closed) {
    defer(m_loop, std::move(done));
    return;
  }
  m_close_waiters.push_back(std::move(done));
  if (m_state == State::closing) return;
  m_state = State::closing;
  // Runs on the DB thread after the last accepted job, so its post is the queue's last entry.
  m_thread->stop([this, q = m_results.get()] { q->post([this] { finish_close(); }); });
}

// Called from inside the queue's drain: the queue itself is destroyed on the next iteration,
// outside its own callback stack, and only then are the waiters told.
void SqliteStore::finish_close() {
  m_thread->join();
  m_thread.reset();
  m_state = State::closed;
  std::shared_ptr<loop::AsyncQueue> queue = std::move(m_results);
  defer(m_loop, [queue, waiters = std::move(m_close_waiters)]() mutable {
    queue.reset();
    for (auto& w : waiters)
      if (w) w();
  });
  m_close_waiters.clear();
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(uv_loop_t* loop, const std::string& path) {
  HARNESS_TRY_ASSIGN(Db db, Db::open(path));
  HARNESS_TRY(prepare_database(db));
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(loop, std::move(db)));
}

}  // namespace harness::store::sqlite
