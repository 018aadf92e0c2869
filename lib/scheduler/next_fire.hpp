#pragma once
// Firing times. A cron expression names wall-clock minutes in a zone; each named minute fires
// once, at the first instant the zone's clock reads that minute or later:
// - a minute skipped by a spring-forward gap fires at the end of the gap (02:30 on a day that
//   jumps from 02:00 to 03:00 fires at 03:00; several skipped minutes fire there together);
// - a minute repeated by a fall-back overlap fires at its first occurrence only.
// The same rule cronie applies to fixed-time jobs; unlike cronie it also holds for '*' fields,
// so "*/15 * * * *" pauses during the repeated hour: use `every` for strict intervals.

#include <cstdint>

#include "lib/base/result.hpp"
#include "lib/base/time.hpp"
#include "lib/scheduler/cron.hpp"
#include "lib/scheduler/zone.hpp"

namespace harness::scheduler {

// How far ahead next_fire looks before it gives up.
inline constexpr int k_search_years = 100;

// The first firing time of `e` in `zone` strictly after `after`. invalid when the expression
// has no firing within k_search_years (or `after` is absurdly far from the epoch).
Result<TimeMs> next_fire(const CronExpr& e, const Zone& zone, TimeMs after);

// For `every`: the first anchor + k * period strictly after `after` (period_ms > 0). The
// anchor (default: the epoch) makes the times the same for every daemon and across restarts.
TimeMs next_every(std::int64_t period_ms, TimeMs after, TimeMs anchor = 0);

}  // namespace harness::scheduler
