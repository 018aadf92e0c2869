#pragma once
// POSIX TZ rules ("CET-1CEST,M3.5.0,M10.5.0/3"), as found in the footer of TZif files: they
// give a zone's offsets after the last transition of its table. Offsets here are seconds east
// of UTC (POSIX writes them west-positive; the parser flips the sign).

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "lib/base/result.hpp"

namespace harness::scheduler {

// An offset change: from `at` (UTC seconds since the epoch) on, local = UTC + `after`.
struct Transition {
  std::int64_t at = 0;
  std::int32_t before = 0;
  std::int32_t after = 0;
};

// A day of the year in a rule: Jn (1-365, no Feb 29), n (0-365) or Mm.w.d.
struct RuleDay {
  enum class Kind { julian1, julian0, month_week_day };
  Kind kind = Kind::month_week_day;
  int n = 0;      // julian1 / julian0
  int month = 1;  // month_week_day: 1-12
  int week = 1;   // 1-5, 5 = the last
  int weekday = 0;
  std::int32_t time = 7200;  // local seconds after midnight (may be negative or > 24h)
};

struct PosixTz {
  std::int32_t std_offset = 0;
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  RuleDay start;  // standard -> daylight, at local standard time
  RuleDay end;    // daylight -> standard, at local daylight time
};

// Parses a POSIX TZ string; invalid with the reason when malformed.
Result<PosixTz> parse_posix_tz(std::string_view text);

// The rule's transitions in `year`, sorted; none when the rule has no daylight time.
struct YearTransitions {
  std::array<Transition, 2> items{};
  int count = 0;
};
YearTransitions posix_transitions(const PosixTz& tz, std::int64_t year);

}  // namespace harness::scheduler
