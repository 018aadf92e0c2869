#pragma once
// RemoteFeed: on a shared store, the leaves a `wait` or `logs -f` of this daemon watches may
// run on another daemon, whose appends this daemon's Journal never sees. Every `period_ms` the
// feed reads each watched leaf's row and, when it moved on, its new events from the store, and
// publishes them to the Watchers like local appends. Consumers drop what they already have
// (followers skip seqs they sent, a waiter answers once), so a local append seen twice is
// harmless. Loop thread only.

#include <uv.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "lib/daemon/watchers.hpp"
#include "lib/loop/timer.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {

class RemoteFeed {
 public:
  RemoteFeed(uv_loop_t* loop, store::Store& store, Watchers& watchers, std::int64_t period_ms);
  void start();
  void stop();

 private:
  void tick();
  void poll(const std::string& leaf_id);

  store::Store& m_store;
  Watchers& m_watchers;
  std::int64_t m_period_ms;
  loop::Timer m_timer;
  std::unordered_map<std::string, std::int64_t> m_seen;  // leaf -> last seq published
  int m_in_flight = 0;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace harness::daemon
