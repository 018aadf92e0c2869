#include "lib/daemon/pod_leases.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

namespace harness::daemon {
namespace {
constexpr std::uint64_t k_poll_ms = 500;
}  // namespace

using store::PodLeaseRequest;

StorePodLeases::StorePodLeases(uv_loop_t* loop, store::Store& store, std::int64_t ttl_ms)
    : m_loop(loop),
      m_store(store),
      m_ttl_ms(std::max<std::int64_t>(ttl_ms, 300)),
      m_renew(loop),
      m_poll(loop) {}

StorePodLeases::~StorePodLeases() {
  *m_alive = false;
}

void StorePodLeases::lease(const std::string& pool, const std::vector<std::string>& pods,
                           std::int64_t cap, const std::string& holder, LeaseDone done) {
  PodLeaseRequest req;
  req.op = PodLeaseRequest::Op::acquire;
  req.pool = pool;
  req.pods = pods;
  req.cap = cap;
  req.holders = {holder};
  req.ttl_ms = m_ttl_ms;
  std::weak_ptr<bool> alive = m_alive;
  m_store.pod_lease(std::move(req), [this, alive, pool, holder,
                                     done = std::move(done)](Result<std::vector<std::string>> r) {
    if (!alive.lock()) return done(make_error(ErrorCode::unavailable, "shutting down"));
    if (!r) return done(r.error());
    if (r->empty()) return done(std::optional<std::string>());
    m_held[holder] = pool;
    if (!m_renew.active()) {
      auto every = static_cast<std::uint64_t>(m_ttl_ms / 3);
      m_renew.start(
          every, [this] { renew(); }, every);
    }
    done(std::optional<std::string>(r->front()));
  });
}

void StorePodLeases::release(const std::string& pool, const std::string& holder) {
  m_held.erase(holder);
  if (m_held.empty()) m_renew.stop();
  PodLeaseRequest req;
  req.op = PodLeaseRequest::Op::release;
  req.pool = pool;
  req.holders = {holder};
  req.ttl_ms = m_ttl_ms;
  std::weak_ptr<bool> alive = m_alive;
  m_store.pod_lease(std::move(req), [this, alive, pool, holder](auto r) {
    // Not given back (Redis unreachable): it expires after lease_ttl.
    if (!r) spdlog::warn("pod lease of {}: cannot give it back: {}", holder, r.error().message);
    if (alive.lock()) wake(pool);
  });
}

std::uint64_t StorePodLeases::wait(const std::string& pool, std::function<void()> wake_fn) {
  std::uint64_t id = m_next_wait++;
  m_waiters.emplace(id, Waiter{pool, std::move(wake_fn)});
  if (!m_poll.active())
    m_poll.start(
        k_poll_ms, [this] { wake(""); }, k_poll_ms);
  return id;
}

void StorePodLeases::cancel_wait(std::uint64_t id) {
  m_waiters.erase(id);
  if (m_waiters.empty()) m_poll.stop();
}

void StorePodLeases::wake(const std::string& pool) {
  std::vector<std::function<void()>> woken;
  for (auto w = m_waiters.begin(); w != m_waiters.end();) {
    if (!pool.empty() && w->second.pool != pool) {
      ++w;
      continue;
    }
    woken.push_back(std::move(w->second.wake));
    w = m_waiters.erase(w);
  }
  if (m_waiters.empty()) m_poll.stop();
  for (auto& fn : woken) fn();  // each lists the pods again, and may wait again
}

void StorePodLeases::renew() {
  std::map<std::string, std::vector<std::string>> by_pool;
  for (const auto& [holder, pool] : m_held) by_pool[pool].push_back(holder);
  std::weak_ptr<bool> alive = m_alive;
  for (auto& [pool, holders] : by_pool) {
    PodLeaseRequest req;
    req.op = PodLeaseRequest::Op::renew;
    req.pool = pool;
    req.holders = std::move(holders);
    req.ttl_ms = m_ttl_ms;
    m_store.pod_lease(std::move(req), [alive](Result<std::vector<std::string>> r) {
      if (!alive.lock()) return;
      if (!r) return spdlog::warn("pod leases: cannot renew: {}", r.error().message);
      // A lost lease (this daemon was cut off past lease_ttl): another leaf may now share the
      // pod. The leaf keeps its pod; the next renewal tries again.
      for (const auto& h : *r) spdlog::warn("pod lease of leaf {} expired before renewal", h);
    });
  }
}

}  // namespace harness::daemon
