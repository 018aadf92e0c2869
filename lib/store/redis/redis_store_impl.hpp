#pragma once
// RedisStore's declaration, shared by the files that implement it: redis_store.cpp (lifecycle
// and the job queue), write_ops.cpp (submit, append), read_ops.cpp (the reads), lease_ops.cpp
// (several daemons), schedule_ops.cpp (schedules and firings).
//
// Threads: loop thread only. Jobs run one at a time, in call order, like the SQLite store's DB
// thread: a job sends its commands and scripts on the one connection and calls `job_done()`
// after its callback. A job may take several round trips (a read, then a compare-and-set
// script, again on a lost race); the next job starts on the next loop iteration.

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/loop/timer.hpp"
#include "lib/store/redis/connection.hpp"
#include "lib/store/redis/leaf_cache.hpp"
#include "lib/store/redis/scripts.hpp"
#include "lib/store/schedule_store.hpp"
#include "lib/store/store.hpp"

namespace harness::store::redis {

class RedisStore final : public Store, public ScheduleStore {
 public:
  RedisStore(uv_loop_t* loop, ConnectionOptions opts);
  // Without close(): frees the connection; callbacks not yet called are dropped.
  ~RedisStore() override;
  void start();

  void submit(SubmitRequest req, Callback<SubmitResult> cb) override;
  void append(std::string leaf_id, std::vector<model::EventDraft> drafts,
              Callback<AppendResult> cb) override;
  void get_leaf(std::string id, Callback<model::Leaf> cb) override;
  void list_leaves(LeafFilter filter, Callback<LeafPage> cb) override;
  void read_events(EventQuery q, Callback<std::vector<model::Event>> cb) override;
  void get_session(std::string id, Callback<model::Session> cb) override;
  void list_unfinished(Callback<std::vector<model::Leaf>> cb) override;
  bool shared() const override { return true; }
  void register_node(NodeRequest req, Callback<bool> cb) override;
  void claim(ClaimRequest req, Callback<ClaimResult> cb) override;
  void release(std::string leaf_id, Callback<bool> cb) override;
  void ping(Callback<bool> cb) override;
  void durability(Callback<Durability> cb) override;  // durability.cpp
  void pod_lease(PodLeaseRequest req, Callback<std::vector<std::string>> cb) override;
  void close(std::function<void()> done) override;

  // ScheduleStore (schedule_ops.cpp; one script each).
  ScheduleStore* schedules() override { return this; }
  void put_schedule(ScheduleRecord rec, bool replace, Callback<ScheduleRecord> cb) override;
  void get_schedule(std::string name, Callback<ScheduleRecord> cb) override;
  void list_schedules(Callback<std::vector<ScheduleRecord>> cb) override;
  void delete_schedule(std::string name, Callback<bool> cb) override;
  void set_schedule_paused(std::string name, bool paused, Callback<ScheduleRecord> cb) override;
  void claim_firing(Firing f, Callback<bool> cb) override;
  void update_firing(Firing f, Callback<bool> cb) override;
  void list_open_firings(Callback<std::vector<Firing>> cb) override;

 private:
  enum class State { open, closing, closed };
  struct Job {
    std::function<void()> run;        // starts the job; its end calls job_done()
    std::function<void(Error)> fail;  // the job's callback with an error, without running it
  };

  // Queues a job whose callback is `cb`; `run(cb)` is called when its turn comes with a
  // callback that also ends the job.
  template <class T>
  void enqueue(Callback<T> cb, std::function<void(Callback<T>)> run);
  // Queues a job, or fails it (later, never inside the call) when the store is closed or
  // Redis is unreachable.
  void add_job(Job job);
  void pump();
  void kick();
  void on_connection_state();
  void finish_close();
  void setup(std::function<void(Status)> done);

  // Runs a script; its reply, or a Redis error reply turned into an Error.
  void script(ScriptId id, std::vector<std::string> args, std::function<void(Result<Reply>)> fn);
  std::string endpoint() const { return m_endpoint; }

  using Request = std::shared_ptr<const SubmitRequest>;
  using Drafts = std::shared_ptr<const std::vector<model::EventDraft>>;
  // submit: with the session's last_seq and owner known (0 and "" for a new session) / read
  // first.
  void submit_at(Request req, std::int64_t seq, std::string session_owner, int tries,
                 Callback<SubmitResult> cb);
  void submit_read(Request req, int tries, Callback<SubmitResult> cb);
  // The earlier leaf of an idempotency key and its leaf_submitted event.
  void submitted(const std::string& leaf_id, Callback<SubmitResult> cb);
  // append: read the row and the session's last_seq first / with them known (`cached`: from
  // LeafCache, so a refusal is only believed after a re-read).
  void append_read(std::string id, Drafts drafts, int tries, Callback<AppendResult> cb);
  void append_at(model::Leaf leaf, std::int64_t seq, Drafts drafts, int tries, bool cached,
                 Callback<AppendResult> cb);
  // An append whose answer was lost (the connection broke or timed out after it was sent): it
  // may or may not have been written. The caller's retry of the same drafts first asks Redis
  // whether it was (its first event carries the write's token), so a retry never writes twice.
  struct InDoubt {
    std::string token;
    std::int64_t first_seq = 0;
    std::int64_t last_seq = 0;
    std::string drafts;  // drafts_key() of what was sent
  };
  void append_check(std::string id, Drafts drafts, InDoubt doubt, Callback<AppendResult> cb);
  void job_done(std::uint64_t job);
  // The fencing token of a leaf this store holds a lease on, as the append script wants it
  // ("" = not held: the append is not fenced).
  std::string fence_of(const std::string& leaf_id) const;

  uv_loop_t* m_loop;
  std::string m_endpoint;
  Scripts m_scripts;
  LeafCache m_cache;
  std::unordered_map<std::string, InDoubt> m_in_doubt;   // by leaf id
  std::unordered_map<std::string, std::int64_t> m_held;  // leases held: leaf id -> fence
  std::unique_ptr<Connection> m_conn;
  std::unique_ptr<loop::Timer> m_kick;
  std::deque<Job> m_jobs;
  bool m_busy = false;
  std::uint64_t m_job = 0;  // the running job's number
  State m_state = State::open;
  std::vector<std::function<void()>> m_close_waiters;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

// Compare-and-set attempts before an operation gives up (`unavailable`): each lost race means
// another writer changed the session in between.
inline constexpr int k_max_tries = 8;

// Runs `f`, turning an exception (a bug in a projection or codec) into an internal error: no
// exception may cross a libuv callback.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::internal, std::string("store: ") + e.what());
  }
}

template <class T>
void RedisStore::enqueue(Callback<T> cb, std::function<void(Callback<T>)> run) {
  auto shared = std::make_shared<Callback<T>>(std::move(cb));
  Job job;
  job.fail = [shared](Error e) { (*shared)(std::move(e)); };
  job.run = [this, shared, run = std::move(run)] {
    std::uint64_t id = ++m_job;
    run([this, shared, id](Result<T> r) {
      (*shared)(std::move(r));
      job_done(id);
    });
  };
  add_job(std::move(job));
}

}  // namespace harness::store::redis
