#include "lib/sandbox/lease.hpp"

namespace harness::sandbox {

namespace {
PodLeases* g_installed = nullptr;
}  // namespace

PodLeases& process_pod_leases() {
  return g_installed ? *g_installed : LeaseTable::process_wide();
}

void set_process_pod_leases(PodLeases* leases) {
  g_installed = leases;
}

LeaseTable& LeaseTable::process_wide() {
  static LeaseTable table;
  return table;
}

std::optional<std::string> LeaseTable::acquire(const std::string& pool,
                                               const std::vector<std::string>& pods,
                                               std::int64_t cap, const std::string& holder) {
  auto& by_pod = m_leases[pool];
  for (auto& [pod, holders] : by_pod)
    if (holders.count(holder)) return pod;
  const std::string* best = nullptr;
  std::size_t best_count = 0;
  for (const auto& pod : pods) {
    std::size_t n = by_pod.count(pod) ? by_pod[pod].size() : 0;
    if (static_cast<std::int64_t>(n) >= cap) continue;
    if (!best || n < best_count) {
      best = &pod;
      best_count = n;
    }
  }
  if (!best) return std::nullopt;
  by_pod[*best].insert(holder);
  return *best;
}

void LeaseTable::release(const std::string& pool, const std::string& holder) {
  auto it = m_leases.find(pool);
  if (it == m_leases.end()) return;
  bool found = false;
  for (auto pod = it->second.begin(); pod != it->second.end();) {
    found |= pod->second.erase(holder) > 0;
    pod = pod->second.empty() ? it->second.erase(pod) : std::next(pod);
  }
  if (!found) return;
  // Wake this pool's waiters; each retries and may wait again (with a new id).
  std::vector<std::function<void()>> woken;
  for (auto w = m_waiters.begin(); w != m_waiters.end();) {
    if (w->second.pool != pool) {
      ++w;
      continue;
    }
    woken.push_back(std::move(w->second.wake));
    w = m_waiters.erase(w);
  }
  for (auto& wake : woken) wake();
}

int LeaseTable::holders(const std::string& pool, const std::string& pod) const {
  auto it = m_leases.find(pool);
  if (it == m_leases.end()) return 0;
  auto p = it->second.find(pod);
  return p == it->second.end() ? 0 : static_cast<int>(p->second.size());
}

std::uint64_t LeaseTable::wait(const std::string& pool, std::function<void()> wake) {
  std::uint64_t id = m_next_wait++;
  m_waiters.emplace(id, Waiter{pool, std::move(wake)});
  return id;
}

void LeaseTable::cancel_wait(std::uint64_t id) {
  m_waiters.erase(id);
}

}  // namespace harness::sandbox
