// One pass: list the open firings (claimed but not submitted, or waiting behind an unfinished
// leaf) and finish them; then list the schedules and, for each that is not paused, fire the
// due time once its jitter has passed. A pass ends when the last store answer of it is in (the
// Pass object's destructor); the next pass starts no earlier, so a runner never races itself.
// Runners in other daemons may: the firing row decides.
#include "lib/daemon/schedule_runner.hpp"

#include <spdlog/spdlog.h>

#include "lib/base/json_dump.hpp"
#include "lib/loop/defer.hpp"
#include "lib/scheduler/catch_up.hpp"

namespace harness::daemon {
namespace {
using store::Firing;
using store::ScheduleRecord;

constexpr const char* k_claimed = "claimed";
constexpr const char* k_waiting = "waiting";
constexpr const char* k_skipped = "skipped";
constexpr const char* k_submitted = "submitted";
constexpr const char* k_failed = "failed";

// Errors that a retry cannot fix: the firing is marked failed instead of retried.
bool permanent(const Error& e) {
  return e.code == ErrorCode::invalid || e.code == ErrorCode::bad_request ||
         e.code == ErrorCode::forbidden || e.code == ErrorCode::not_found;
}
}  // namespace

struct ScheduleRunner::Pass {
  std::function<void()> done;
  ~Pass() {
    if (done) done();
  }
};

ScheduleRunner::ScheduleRunner(uv_loop_t* loop, store::Store& store, const Clock& clock,
                               FireFn fire, ScheduleRunnerOptions opts)
    : m_loop(loop),
      m_schedules(store.schedules()),
      m_store(store),
      m_clock(clock),
      m_fire(std::move(fire)),
      m_opts(std::move(opts)),
      m_timer(loop) {}

ScheduleRunner::~ScheduleRunner() {
  *m_alive = false;
}

void ScheduleRunner::start() {
  if (!m_schedules) return;
  m_timer.start(
      static_cast<std::uint64_t>(m_opts.tick_ms), [this] { tick(); },
      static_cast<std::uint64_t>(m_opts.tick_ms));
}

void ScheduleRunner::stop() {
  m_timer.stop();
  *m_alive = false;
  m_alive = std::make_shared<bool>(true);  // a later start() begins afresh
}

void ScheduleRunner::tick(std::function<void()> done) {
  if (!m_schedules || m_in_pass) {
    if (done) loop::defer(m_loop, std::move(done));
    return;
  }
  m_in_pass = true;
  std::weak_ptr<bool> alive = m_alive;
  auto pass = std::make_shared<Pass>();
  pass->done = [this, alive, done = std::move(done)] {
    if (auto a = alive.lock(); a && *a) m_in_pass = false;
    if (done) done();
  };
  m_schedules->list_open_firings([this, alive, pass](Result<std::vector<Firing>> open) {
    if (!alive.lock()) return;
    if (!open) return spdlog::warn("scheduler: cannot read firings: {}", open.error().message);
    m_open.clear();
    for (const Firing& f : *open) {
      m_open[f.schedule] = f.state;
      finish_open(f, pass);
    }
    m_schedules->list_schedules([this, alive, pass](Result<std::vector<ScheduleRecord>> r) {
      if (!alive.lock()) return;
      if (!r) return spdlog::warn("scheduler: cannot read schedules: {}", r.error().message);
      std::set<std::string> names;
      for (const ScheduleRecord& rec : *r) {
        names.insert(rec.name);
        consider(rec, pass);
      }
      std::erase_if(m_compiled, [&](const auto& kv) { return !names.count(kv.first); });
    });
  });
}

// The schedule's trigger, built off the loop (loading a zone reads a file) the first time the
// spec is seen; null until then, or when the stored spec is unusable.
const ScheduleRunner::Compiled* ScheduleRunner::compiled(const ScheduleRecord& rec) {
  std::string text = dump_json(rec.spec);
  Compiled& c = m_compiled[rec.name];
  if (c.spec_text == text) return c.trigger ? &c : nullptr;
  if (c.building) return nullptr;
  auto spec = scheduler::schedule_from_json(rec.spec);
  c.spec_text = text;
  c.trigger.reset();
  if (!spec) {
    spdlog::warn("schedule {}: stored spec is unusable: {}", rec.name, spec.error().message);
    return nullptr;
  }
  c.schedule = *spec;
  c.building = true;
  auto built = std::make_shared<Result<scheduler::Trigger>>(make_error(ErrorCode::internal, ""));
  std::weak_ptr<bool> alive = m_alive;
  loop::run_blocking(
      m_loop,
      [built, s = *spec, dir = m_opts.zoneinfo_dir] { *built = scheduler::make_trigger(s, dir); },
      [this, alive, built, name = rec.name, text] {
        if (!alive.lock()) return;
        auto it = m_compiled.find(name);
        if (it == m_compiled.end() || it->second.spec_text != text) return;
        it->second.building = false;
        if (!*built) {
          spdlog::warn("schedule {}: {}", name, built->error().message);
          return;
        }
        it->second.trigger = std::make_shared<const scheduler::Trigger>(std::move(**built));
      });
  return nullptr;
}

void ScheduleRunner::consider(const ScheduleRecord& rec, const std::shared_ptr<Pass>& pass) {
  if (rec.paused) return;
  const Compiled* c = compiled(rec);
  if (!c) return;
  const scheduler::Schedule& s = c->schedule;
  TimeMs now = m_clock.now_ms();
  TimeMs last = rec.last_fire ? rec.last_fire : rec.created_at;
  auto due = scheduler::due_firing(*c->trigger, last, now, s.catch_up, m_opts.grace_ms);
  if (!due) return spdlog::warn("schedule {}: {}", rec.name, due.error().message);
  if (!due->fire) return;
  if (now < *due->fire + scheduler::jitter_delay_ms(rec.name, *due->fire, s.jitter_ms)) return;
  fire_at(rec, s, *due->fire, pass);
}

// Overlap: the previous leaf of the schedule is unfinished when a firing is still open or its
// last leaf is not terminal.
void ScheduleRunner::fire_at(const ScheduleRecord& rec, const scheduler::Schedule& s,
                             TimeMs scheduled, const std::shared_ptr<Pass>& pass) {
  using scheduler::Overlap;
  if (s.overlap == Overlap::allow) return claim(rec, scheduled, k_claimed, pass);
  auto open = m_open.find(rec.name);
  auto busy_state = [&, overlap = s.overlap](bool waiting_exists) -> std::string {
    if (overlap == Overlap::skip || waiting_exists) return k_skipped;
    return k_waiting;
  };
  if (open != m_open.end())
    return claim(rec, scheduled, busy_state(open->second == k_waiting), pass);
  if (rec.last_leaf.empty()) return claim(rec, scheduled, k_claimed, pass);
  std::weak_ptr<bool> alive = m_alive;
  m_store.get_leaf(rec.last_leaf,
                   [this, alive, rec, scheduled, pass, busy_state](Result<model::Leaf> leaf) {
                     if (!alive.lock()) return;
                     bool busy = leaf && !model::is_terminal(leaf->state);
                     claim(rec, scheduled, busy ? busy_state(false) : std::string(k_claimed), pass);
                   });
}

void ScheduleRunner::claim(const ScheduleRecord& rec, TimeMs scheduled, std::string state,
                           const std::shared_ptr<Pass>& pass) {
  std::weak_ptr<bool> alive = m_alive;
  Firing f{rec.name, scheduled, state, "", 0};
  m_schedules->claim_firing(f, [this, alive, rec, scheduled, state, pass](Result<bool> r) {
    if (!alive.lock()) return;
    if (!r)
      return spdlog::warn("schedule {}: cannot claim a firing: {}", rec.name, r.error().message);
    if (!*r) {  // another scheduler (or an earlier pass) has this time
      return spdlog::debug("schedule {}: firing at {} taken by another scheduler", rec.name,
                           format_rfc3339(scheduled));
    }
    if (state == k_claimed) return submit(rec, scheduled, pass);
    m_open[rec.name] = state;
    spdlog::info("schedule {}: firing at {} {} (the previous leaf {} is unfinished)", rec.name,
                 format_rfc3339(scheduled), state == k_waiting ? "waits" : "skipped",
                 rec.last_leaf.empty() ? "-" : rec.last_leaf);
  });
}

void ScheduleRunner::submit(const ScheduleRecord& rec, TimeMs scheduled, std::shared_ptr<Pass> pass,
                            std::function<void(Result<std::string>)> done) {
  std::weak_ptr<bool> alive = m_alive;
  m_fire(rec, scheduled, [this, alive, rec, scheduled, pass, done](Result<std::string> leaf) {
    if (!alive.lock()) return;
    if (done) done(leaf);
    if (!leaf && !permanent(leaf.error())) {
      // Left claimed: a later pass submits it again with the same idempotency key.
      return spdlog::warn("schedule {}: firing at {} not submitted yet: {}", rec.name,
                          format_rfc3339(scheduled), leaf.error().message);
    }
    if (!leaf)
      spdlog::warn("schedule {}: firing at {} failed: {}", rec.name, format_rfc3339(scheduled),
                   leaf.error().message);
    else
      spdlog::info("schedule {}: fired leaf {} (scheduled {})", rec.name, *leaf,
                   format_rfc3339(scheduled));
    Firing f{rec.name, scheduled, leaf ? k_submitted : k_failed, leaf ? *leaf : "", 0};
    m_schedules->update_firing(f, [pass, name = rec.name](Result<bool> r) {
      if (!r) spdlog::warn("schedule {}: cannot record a firing: {}", name, r.error().message);
    });
  });
}

// A claimed firing nobody submitted (its daemon died in between), or a waiting one whose
// previous leaf has ended.
void ScheduleRunner::finish_open(const Firing& f, const std::shared_ptr<Pass>& pass) {
  if (f.state == k_claimed && now_ms() - f.created_at < m_opts.resubmit_after_ms) return;
  std::weak_ptr<bool> alive = m_alive;
  m_schedules->get_schedule(f.schedule, [this, alive, f, pass](Result<ScheduleRecord> rec) {
    if (!alive.lock() || !rec) return;
    if (f.state == k_claimed || rec->last_leaf.empty()) return submit(*rec, f.scheduled, pass);
    m_store.get_leaf(rec->last_leaf, [this, alive, f, pass, rec = *rec](Result<model::Leaf> l) {
      if (!alive.lock()) return;
      if (l && !model::is_terminal(l->state)) return;
      submit(rec, f.scheduled, pass);
    });
  });
}

void ScheduleRunner::run_now(const ScheduleRecord& rec,
                             std::function<void(Result<std::string>)> done) {
  if (!m_schedules) return done(make_error(ErrorCode::unavailable, "the store keeps no schedules"));
  TimeMs scheduled = m_clock.now_ms();
  std::weak_ptr<bool> alive = m_alive;
  Firing f{rec.name, scheduled, k_claimed, "", 0};
  f.manual = true;
  m_schedules->claim_firing(f, [this, alive, rec, scheduled, done](Result<bool> r) {
    if (!alive.lock()) return done(make_error(ErrorCode::unavailable, "shutting down"));
    if (!r) return done(r.error());
    if (!*r)
      return done(make_error(ErrorCode::conflict,
                             "schedule " + rec.name + " fired at this very time already"));
    submit(rec, scheduled, nullptr, done);
  });
}

}  // namespace harness::daemon
