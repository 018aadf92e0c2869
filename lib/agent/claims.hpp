#pragma once
// Claims: how a daemon on a shared store (Redis) gets leaves to run. Every tick renews this
// node's name and the leases it holds, learns which of its leaves must stop here (cancelled
// through another daemon, or lease lost while paused or cut off), and claims up to the free
// slots: a dead daemon's leaves once their lease expired, then the queue, oldest first
// (docs/redis.md "Several daemons"). One tick at a time; a tick every `tick_ms` (a quarter of
// lease_ttl, at most 250 ms, so a cancel through another daemon stops the leaf within 1 s).
//
// Threads: loop thread only.

#include <functional>
#include <string>

#include "lib/agent/runner.hpp"
#include "lib/loop/timer.hpp"

namespace harness::agent {

class Claimer {
 public:
  struct Hooks {
    std::function<int()> free_slots;
    std::function<void(store::Claim)> claimed;
    std::function<void(const std::string& leaf_id)> lost;
  };
  Claimer(AgentContext ctx, Hooks hooks);

  // Registers the node name; while another live instance holds it, retries for one lease_ttl
  // (a killed daemon's name expires by then), then fails conflict.
  void register_node(std::function<void(Status)> done);
  void start();  // ticks from now on
  void kick();   // a tick soon: a leaf was submitted or handed on
  void stop();
  std::int64_t tick_ms() const;

 private:
  void try_register(TimeMs give_up, std::function<void(Status)> done);
  void tick();

  AgentContext m_ctx;
  Hooks m_hooks;
  std::string m_instance;
  loop::Timer m_timer;
  loop::Timer m_retry;
  bool m_running = false;
  bool m_in_flight = false;
  bool m_again = false;
  bool m_warned = false;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace harness::agent
