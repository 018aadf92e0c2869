#pragma once
// Cron expressions: the five classic fields (minute hour day-of-month month day-of-week) as
// bit sets. Parsing only; next_fire.hpp computes firing times.

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"

namespace harness::scheduler {

struct CronExpr {
  std::uint64_t minutes = 0;  // bit m: minute m (0-59)
  std::uint32_t hours = 0;    // bit h: hour h (0-23)
  std::uint32_t days = 0;     // bit d: day of month d (1-31)
  std::uint16_t months = 0;   // bit m: month m (1-12)
  std::uint8_t weekdays = 0;  // bit d: day of week d (0 = Sunday ... 6 = Saturday)
  bool dom_star = false;      // the day-of-month field started with '*'
  bool dow_star = false;      // the day-of-week field started with '*'
  std::string text;           // the expression as given
};

// Parses "*/15 9-17 * jan-jun mon-fri", "@daily", ... (see docs/schedules.md). On failure:
// invalid, with a message naming the 1-based column and what was expected, e.g.
// "cron: column 4: minute 61 out of range 0-59".
Result<CronExpr> parse_cron(std::string_view text);

// Vixie's day rule: when either day field starts with '*', both must match; otherwise either.
bool day_matches(const CronExpr& e, int day_of_month, int weekday);

}  // namespace harness::scheduler
