#pragma once
// kubectl pod leases kept in a shared store (Redis), so max_leaves_per_pod holds across every
// daemon on it (docs/redis.md "Pod leases"). A lease is the leaf id in the pod's sorted set,
// scored by its expiry: this daemon renews the leases it holds every lease_ttl/3, and a dead
// daemon's leases come free lease_ttl after its last renewal. A leaf waiting for a pod is woken
// by a release here, or retries every 500 ms (a release by another daemon is not announced).
//
// Loop thread only. Owned by the daemon; it must outlive every driver (installed with
// sandbox::set_process_pod_leases, uninstalled before it goes).

#include <uv.h>

#include <map>
#include <memory>
#include <string>

#include "lib/loop/timer.hpp"
#include "lib/sandbox/lease.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {

class StorePodLeases final : public sandbox::PodLeases {
 public:
  StorePodLeases(uv_loop_t* loop, store::Store& store, std::int64_t ttl_ms);
  ~StorePodLeases() override;

  void lease(const std::string& pool, const std::vector<std::string>& pods, std::int64_t cap,
             const std::string& holder, LeaseDone done) override;
  void release(const std::string& pool, const std::string& holder) override;
  std::uint64_t wait(const std::string& pool, std::function<void()> wake) override;
  void cancel_wait(std::uint64_t id) override;

 private:
  struct Waiter {
    std::string pool;
    std::function<void()> wake;
  };
  void renew();
  // Wakes the waiters of `pool` ("" = all).
  void wake(const std::string& pool);

  uv_loop_t* m_loop;
  store::Store& m_store;
  std::int64_t m_ttl_ms;
  std::map<std::string, std::string> m_held;  // holder -> pool
  std::map<std::uint64_t, Waiter> m_waiters;
  std::uint64_t m_next_wait = 1;
  loop::Timer m_renew;
  loop::Timer m_poll;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace harness::daemon
