#pragma once
// A Trigger is what makes a schedule fire: a cron expression in a zone, or a fixed period.

#include <memory>
#include <optional>

#include "lib/scheduler/next_fire.hpp"

namespace harness::scheduler {

struct Trigger {
  std::optional<CronExpr> cron;      // set for cron schedules
  std::shared_ptr<const Zone> zone;  // the cron's zone (never null when cron is set)
  std::int64_t every_ms = 0;         // > 0 for `every` schedules
  TimeMs anchor = 0;                 // `every` times are anchor + k * every_ms
};

// The first scheduled time strictly after `after` (see next_fire.hpp for cron and DST).
Result<TimeMs> next_fire(const Trigger& t, TimeMs after);

// The latest scheduled time in (after, until], or nullopt when there is none. Cost: a few
// next_fire calls per hour of the window's last stretch, not one per missed time.
Result<std::optional<TimeMs>> latest_fire(const Trigger& t, TimeMs after, TimeMs until);

}  // namespace harness::scheduler
