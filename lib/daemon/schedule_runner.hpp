#pragma once
// ScheduleRunner: the daemon's scheduler (issue 10, docs/schedules.md). On a repeating timer it
// reads the schedules from the store, works out with lib/scheduler's pure functions and the
// Clock seam which firing is due, writes the firing's row (ScheduleStore::claim_firing, atomic:
// one scheduled time is claimed once, whoever asks) and only then submits its leaf through the
// FireFn. A firing claimed but never submitted (a crash in between) is submitted again by the
// next pass with the same idempotency key, so each firing yields exactly one leaf. Several
// runners may share one store.
//
// Threads: loop thread only. Callbacks hold a weak token and do nothing once the runner is gone.

#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "lib/base/clock.hpp"
#include "lib/loop/timer.hpp"
#include "lib/scheduler/schedule.hpp"
#include "lib/store/schedule_store.hpp"

namespace harness::daemon {

// Submits the leaf of firing `scheduled` of `rec`; answers the leaf id. The same (rec,
// scheduled) must give the same leaf when asked twice (an idempotency key).
using FireFn = std::function<void(const store::ScheduleRecord& rec, TimeMs scheduled,
                                  std::function<void(Result<std::string>)> done)>;

struct ScheduleRunnerOptions {
  std::int64_t tick_ms = 250;
  // A scheduled time at most this old when the runner sees it is on time (fires under either
  // catch_up); older ones were missed.
  std::int64_t grace_ms = 30'000;
  // A firing claimed this long ago and still not submitted is submitted again.
  std::int64_t resubmit_after_ms = 5'000;
  std::string zoneinfo_dir = std::string(scheduler::k_zoneinfo_dir);
};

class ScheduleRunner {
 public:
  ScheduleRunner(uv_loop_t* loop, store::Store& store, const Clock& clock, FireFn fire,
                 ScheduleRunnerOptions opts = {});
  ~ScheduleRunner();
  ScheduleRunner(const ScheduleRunner&) = delete;
  ScheduleRunner& operator=(const ScheduleRunner&) = delete;

  // Runs a pass every tick_ms until stop(). No-op when the store keeps no schedules.
  void start();
  void stop();
  // One pass now (unless one is running); `done` once every answer of the pass is in.
  void tick(std::function<void()> done = {});
  // Fires `rec` now, outside its times and its overlap rule (schedule run-now). Answers the
  // leaf id. The firing's identity is the clock's time; last_fire does not move.
  void run_now(const store::ScheduleRecord& rec, std::function<void(Result<std::string>)> done);

 private:
  struct Pass;
  struct Compiled {
    std::string spec_text;
    scheduler::Schedule schedule;
    std::shared_ptr<const scheduler::Trigger> trigger;  // null while being built or on error
    bool building = false;
  };

  void consider(const store::ScheduleRecord& rec, const std::shared_ptr<Pass>& pass);
  const Compiled* compiled(const store::ScheduleRecord& rec);
  void fire_at(const store::ScheduleRecord& rec, const scheduler::Schedule& s, TimeMs scheduled,
               const std::shared_ptr<Pass>& pass);
  void claim(const store::ScheduleRecord& rec, TimeMs scheduled, std::string state,
             const std::shared_ptr<Pass>& pass);
  void submit(const store::ScheduleRecord& rec, TimeMs scheduled, std::shared_ptr<Pass> pass,
              std::function<void(Result<std::string>)> done = {});
  void finish_open(const store::Firing& f, const std::shared_ptr<Pass>& pass);

  uv_loop_t* m_loop;
  store::ScheduleStore* m_schedules;  // null: the store keeps none
  store::Store& m_store;
  const Clock& m_clock;
  FireFn m_fire;
  ScheduleRunnerOptions m_opts;
  loop::Timer m_timer;
  std::map<std::string, Compiled> m_compiled;
  std::map<std::string, std::string> m_open;  // schedule -> state of an open firing this pass
  bool m_in_pass = false;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace harness::daemon
