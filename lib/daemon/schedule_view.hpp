#pragma once
// The API's schedule object (docs/api.md "Schedules"): the spec, who owns it, whether it is
// paused, its last firing and, when the trigger is at hand, its next five firing times.

#include "lib/model/json.hpp"
#include "lib/scheduler/schedule.hpp"
#include "lib/store/schedule_store.hpp"

namespace harness::daemon {

inline constexpr int k_next_firings = 5;

// `trigger` null: "next" is left out. `now`: the time the next firings are counted from.
model::Json schedule_view(const store::ScheduleRecord& rec, const scheduler::Trigger* trigger,
                          TimeMs now);

}  // namespace harness::daemon
