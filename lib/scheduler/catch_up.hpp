#pragma once
// What is due when a scheduler wakes up: pure functions of the trigger, the last handled
// firing and the time now, so every daemon computes the same answer.

#include <cstdint>
#include <optional>
#include <string_view>

#include "lib/scheduler/trigger.hpp"

namespace harness::scheduler {

// After downtime: fire none of the missed times, or fire once for all of them.
enum class CatchUp { none, once };

struct Due {
  std::optional<TimeMs> fire;  // the scheduled time to fire now: the firing's identity
  bool skipped = false;        // other scheduled times in (last, now] will never fire
  TimeMs next = 0;             // the first scheduled time after now
};

// The firing due at `now` when every scheduled time up to `last` has been handled (for a new
// schedule, `last` is its creation time). The latest scheduled time no more than grace_ms
// before `now` is on time and fires under either policy; older ones were missed: `none` drops
// them, `once` fires the latest of them in their place. Errors come from next_fire.
Result<Due> due_firing(const Trigger& t, TimeMs last, TimeMs now, CatchUp mode,
                       std::int64_t grace_ms);

// The delay, in [0, jitter_ms], before running schedule `name`'s firing scheduled at
// `scheduled`: a hash of both, so every daemon and every restart agrees on it while schedules
// with the same times spread out.
std::int64_t jitter_delay_ms(std::string_view name, TimeMs scheduled, std::int64_t jitter_ms);

}  // namespace harness::scheduler
