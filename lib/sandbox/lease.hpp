#pragma once
// Pod leases for the kubectl driver with a selector: at most `cap` leaves share one pod.
// PodLeases is what the driver asks; LeaseTable keeps them in the daemon's memory (one daemon:
// SQLite), and a daemon on a shared store installs one backed by the store
// (lib/daemon/pod_leases.hpp: Redis, so the cap holds across daemons and a dead daemon's leases
// expire after lease_ttl). Loop thread only; callbacks and wake-ups on the loop thread.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/base/result.hpp"

namespace harness::sandbox {

class PodLeases {
 public:
  using LeaseDone = std::function<void(harness::Result<std::optional<std::string>>)>;
  virtual ~PodLeases() = default;
  // Leases the least-shared of `pods` (names unique within `pool`) that has fewer than `cap`
  // holders to `holder` (a leaf id); a holder that has a pod of the pool gets it again. nullopt
  // when every pod is at the cap. `done` may be called before lease() returns.
  virtual void lease(const std::string& pool, const std::vector<std::string>& pods,
                     std::int64_t cap, const std::string& holder, LeaseDone done) = 0;
  // Gives back `holder`'s lease in `pool` (no-op if it has none) and wakes waiters.
  virtual void release(const std::string& pool, const std::string& holder) = 0;
  // Calls `wake` once, when a lease in `pool` may have come free. Returns an id for
  // cancel_wait().
  virtual std::uint64_t wait(const std::string& pool, std::function<void()> wake) = 0;
  virtual void cancel_wait(std::uint64_t id) = 0;
};

// The leases kubectl drivers use when make_driver is given none: `leases` from now on (a
// daemon on a shared store), or LeaseTable::process_wide() when null. Loop thread only.
PodLeases& process_pod_leases();
void set_process_pod_leases(PodLeases* leases);

class LeaseTable final : public PodLeases {
 public:
  // The table of this daemon process (what make_driver uses when given none).
  static LeaseTable& process_wide();

  // Leases the least-shared of `pods` (names unique within `pool`, e.g. "ctx/namespace") that
  // has fewer than `cap` holders, to `holder` (a leaf id). A holder already holding a pod of
  // the pool gets that pod again. nullopt when every pod is at the cap (or `pods` is empty).
  std::optional<std::string> acquire(const std::string& pool, const std::vector<std::string>& pods,
                                     std::int64_t cap, const std::string& holder);
  void lease(const std::string& pool, const std::vector<std::string>& pods, std::int64_t cap,
             const std::string& holder, LeaseDone done) override {
    done(acquire(pool, pods, cap, holder));
  }
  // Gives back `holder`'s lease in `pool` (no-op if it has none) and wakes every waiter.
  void release(const std::string& pool, const std::string& holder) override;
  // Leaves holding `pod` of `pool` now.
  int holders(const std::string& pool, const std::string& pod) const;

  // Calls `wake` once, on the next release in `pool`. Returns an id for cancel_wait().
  std::uint64_t wait(const std::string& pool, std::function<void()> wake) override;
  void cancel_wait(std::uint64_t id) override;
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
