#include "lib/scheduler/trigger.hpp"

#include <algorithm>

#include "lib/scheduler/civil.hpp"

namespace harness::scheduler {

Result<TimeMs> next_fire(const Trigger& t, TimeMs after) {
  if (t.cron) {
    HARNESS_ASSERT(t.zone != nullptr);
    return next_fire(*t.cron, *t.zone, after);
  }
  return next_every(t.every_ms, after, t.anchor);
}

// Cron has no cheap "previous firing" under DST rules, so look back from `until` over a window
// that doubles until it holds a firing, then step forward through that window only.
Result<std::optional<TimeMs>> latest_fire(const Trigger& t, TimeMs after, TimeMs until) {
  HARNESS_TRY_ASSIGN(TimeMs first, next_fire(t, after));
  if (first > until) return std::optional<TimeMs>{};
  if (!t.cron)
    return std::optional<TimeMs>{t.anchor + floor_div(until - t.anchor, t.every_ms) * t.every_ms};
  for (std::int64_t window = 3'600'000;; window *= 2) {
    TimeMs from = std::max(after, until - window);
    HARNESS_TRY_ASSIGN(TimeMs fire, next_fire(t, from));
    if (fire > until) continue;  // from > after here: `first` is in (after, until]
    while (true) {
      HARNESS_TRY_ASSIGN(TimeMs next, next_fire(t, fire));
      if (next > until) return std::optional<TimeMs>{fire};
      fire = next;
    }
  }
}

}  // namespace harness::scheduler
