#pragma once
// Pod leases for the kubectl driver with a selector: at most `cap` leaves share one pod. The
// table lives in the daemon's memory, so a daemon that dies holds no lease after restart (its
// recovered leaves lease again). Leases are not shared between daemons: that needs the Redis
// store (TODO(#4)). Loop thread only; wake-ups are called on the loop thread.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace harness::sandbox {

class LeaseTable {
 public:
  // The table of this daemon process (what make_driver uses when given none).
  static LeaseTable& process_wide();

  // Leases the least-shared of `pods` (names unique within `pool`, e.g. "ctx/namespace") that
  // has fewer than `cap` holders, to `holder` (a leaf id). A holder already holding a pod of
  // the pool gets that pod again. nullopt when every pod is at the cap (or `pods` is empty).
  std::optional<std::string> acquire(const std::string& pool, const std::vector<std::string>& pods,
                                     std::int64_t cap, const std::string& holder);
  // Gives back `holder`'s lease in `pool` (no-op if it has none) and wakes every waiter.
  void release(const std::string& pool, const std::string& holder);
  // Leaves holding `pod` of `pool` now.
  int holders(const std::string& pool, const std::string& pod) const;

  // Calls `wake` once, on the next release in `pool`. Returns an id for cancel_wait().
  std::uint64_t wait(const std::string& pool, std::function<void()> wake);
  void cancel_wait(std::uint64_t id);
  // Waiters not yet woken or cancelled.
  std::size_t waiting() const { return m_waiters.size(); }

 private:
  struct Waiter {
    std::string pool;
    std::function<void()> wake;
  };
  // pool -> pod -> holders
  std::map<std::string, std::map<std::string, std::set<std::string>>> m_leases;
  std::map<std::uint64_t, Waiter> m_waiters;  // ordered by id: first come, first woken
  std::uint64_t m_next_wait = 1;
};

}  // namespace harness::sandbox
