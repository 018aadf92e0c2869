// Runs on two threads: push/stop/join on the loop thread, run() on the DB thread. The mutex
// guards the job queue and the stop flag; the connection is touched by the DB thread only.
#include "lib/store/sqlite/db_thread.hpp"

#include "lib/base/assert.hpp"

namespace harness::store::sqlite {

DbThread::DbThread(Db db) : m_db(std::move(db)), m_thread([this] { run(); }) {}

DbThread::~DbThread() {
  {
    std::lock_guard lock(m_mu);
    m_stopping = true;
  }
  m_cv.notify_one();
  join();
}

void DbThread::push(Job job) {
  {
    std::lock_guard lock(m_mu);
    HARNESS_ASSERT(!m_stopping);
    m_jobs.push_back(std::move(job));
  }
  m_cv.notify_one();
}

void DbThread::stop(std::function<void()> on_stopped) {
  {
    std::lock_guard lock(m_mu);
    HARNESS_ASSERT(!m_stopping);
    m_stopping = true;
    m_on_stopped = std::move(on_stopped);
  }
  m_cv.notify_one();
}

void DbThread::join() {
  if (m_thread.joinable()) m_thread.join();
}

void DbThread::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(m_mu);
      m_cv.wait(lock, [this] { return !m_jobs.empty() || m_stopping; });
      if (m_jobs.empty()) break;  // stopping, and every accepted job has run
      job = std::move(m_jobs.front());
      m_jobs.pop_front();
    }
    job(m_db);
  }
  // Close before reporting, so the owner's join() after on_stopped does not wait on a
  // checkpoint.
  m_db.close();
  std::function<void()> on_stopped;
  {
    std::lock_guard lock(m_mu);
    on_stopped = std::move(m_on_stopped);
  }
  if (on_stopped) on_stopped();
}

}  // namespace harness::store::sqlite
