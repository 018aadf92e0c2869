#pragma once
// The one thread that owns the SQLite connection. Threads: push() and stop() are called on the
// loop thread; jobs run on the DB thread in FIFO order, one at a time, and return how to hand
// their result back to the loop (a Delivery, which posts to a loop::AsyncQueue).
//
// Group commit: the jobs that queued up while the previous ones ran are run together inside
// one transaction (each job's own transaction becomes a savepoint), and their Deliveries run
// only after that one COMMIT succeeded — so no caller hears "written" before it is durable, and
// N concurrent writes cost one fsync instead of N. If the batch cannot commit, it is rolled
// back and each job runs again on its own, so every job gets the result it would have had
// alone. Jobs must therefore be re-runnable: they compute from the database, keep their result,
// and deliver it only through the returned Delivery.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/store/sqlite/db.hpp"

namespace harness::store::sqlite {

class DbThread {
 public:
  using Delivery = std::function<void()>;
  using Job = std::function<Delivery(Db&)>;
  // At most this many jobs share one transaction (bounds the first one's wait).
  static constexpr std::size_t k_max_batch = 128;

  // Takes the connection and starts the thread.
  explicit DbThread(Db db);
  DbThread(const DbThread&) = delete;
  DbThread& operator=(const DbThread&) = delete;
  // Stops (running the jobs already pushed) and joins, if stop()/join() were not called.
  ~DbThread();

  // Queues a job; must not be called after stop().
  void push(Job job);
  // The jobs already pushed still run; then the connection is closed and `on_stopped` runs on
  // the DB thread, as the thread's last act.
  void stop(std::function<void()> on_stopped);
  // Waits for the thread to end (after stop()). Brief once on_stopped has run.
  void join();

 private:
  void run();
  void run_batch(std::vector<Job>& jobs);

  Db m_db;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Job> m_jobs;
  bool m_stopping = false;
  std::function<void()> m_on_stopped;
  std::thread m_thread;  // last: starts after the members it uses exist
};

}  // namespace harness::store::sqlite
