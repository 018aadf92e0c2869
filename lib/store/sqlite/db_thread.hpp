#pragma once
// The one thread that owns the SQLite connection. Threads: push() and stop() are called on the
// loop thread; jobs run on the DB thread in FIFO order, one at a time, and hand their results
// back to the loop themselves (through a loop::AsyncQueue).

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "lib/store/sqlite/db.hpp"

namespace harness::store::sqlite {

class DbThread {
 public:
  using Job = std::function<void(Db&)>;

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

  Db m_db;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::deque<Job> m_jobs;
  bool m_stopping = false;
  std::function<void()> m_on_stopped;
  std::thread m_thread;  // last: starts after the members it uses exist
};

}  // namespace harness::store::sqlite
