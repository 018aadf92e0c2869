// Runs on two threads: push/stop/join on the loop thread, run() on the DB thread. The mutex
// guards the job queue and the stop flag; the connection is touched by the DB thread only.
#include "lib/store/sqlite/db_thread.hpp"

#include <spdlog/spdlog.h>

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
  std::vector<Job> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(m_mu);
      m_cv.wait(lock, [this] { return !m_jobs.empty() || m_stopping; });
      if (m_jobs.empty()) break;  // stopping, and every accepted job has run
      while (!m_jobs.empty() && batch.size() < k_max_batch) {
        batch.push_back(std::move(m_jobs.front()));
        m_jobs.pop_front();
      }
    }
    run_batch(batch);
  }
  // Close before reporting, so the owner's join() after on_stopped does not wait on a
  // checkpoint.
  spdlog::debug("store {}: {} write transactions in {} commits (one fsync each)", m_db.path(),
                m_db.transactions(), m_db.commits());
  m_db.close();
  std::function<void()> on_stopped;
  {
    std::lock_guard lock(m_mu);
    on_stopped = std::move(m_on_stopped);
  }
  if (on_stopped) on_stopped();
}

void DbThread::run_batch(std::vector<Job>& jobs) {
  if (jobs.size() > 1 && m_db.begin_batch()) {
    std::vector<Delivery> done;
    done.reserve(jobs.size());
    for (auto& job : jobs) {
      done.push_back(job(m_db));
      if (!m_db.batch_intact()) break;  // SQLite rolled it all back: run each alone below
    }
    if (done.size() == jobs.size() && m_db.batch_intact() && m_db.commit_batch()) {
      for (auto& d : done) d();
      return;
    }
    m_db.rollback_batch();
  }
  for (auto& job : jobs) job(m_db)();
}

}  // namespace harness::store::sqlite
