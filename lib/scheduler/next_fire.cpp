#include "lib/scheduler/next_fire.hpp"

#include <algorithm>
#include <bit>
#include <optional>

#include "lib/scheduler/civil.hpp"

namespace harness::scheduler {
namespace {

// No zone is more than this far from UTC (RFC 8536 bounds offsets to -89999..93599 s).
constexpr std::int64_t k_max_offset_s = 93600;
// About 35000 years either side of the epoch: far beyond any real use, far from overflow.
constexpr TimeMs k_max_abs_ms = std::int64_t{1} << 50;

// The smallest set bit of `mask` at or above `from`, or -1.
int next_bit(std::uint64_t mask, int from, int max) {
  if (from > max) return -1;
  std::uint64_t rest = mask >> from;
  if (rest == 0) return -1;
  int bit = from + std::countr_zero(rest);
  return bit <= max ? bit : -1;
}

void next_month(CivilTime& t) {
  t = CivilTime{t.month == 12 ? t.year + 1 : t.year, t.month == 12 ? 1 : t.month + 1, 1, 0, 0, 0};
}

void next_day(CivilTime& t) {
  if (t.day >= days_in_month(t.year, t.month)) return next_month(t);
  t = CivilTime{t.year, t.month, t.day + 1, 0, 0, 0};
}

// The first wall-clock minute at or after `from` (a local minute) that `e` names: fields are
// advanced from the largest down, each step resetting the smaller ones, so the loop runs at
// most once per day in the worst case instead of once per minute.
std::optional<std::int64_t> next_match(const CronExpr& e, std::int64_t from) {
  CivilTime t = civil_from_seconds(from);
  const std::int64_t last_year = t.year + k_search_years;
  while (t.year <= last_year) {
    if (!(e.months >> t.month & 1)) {
      next_month(t);
      continue;
    }
    int weekday = weekday_from_days(days_from_civil(t.year, t.month, t.day));
    if (!day_matches(e, t.day, weekday)) {
      next_day(t);
      continue;
    }
    int hour = next_bit(e.hours, t.hour, 23);
    if (hour < 0) {
      next_day(t);
      continue;
    }
    if (hour != t.hour) t.minute = 0;
    t.hour = hour;
    int minute = next_bit(e.minutes, t.minute, 59);
    if (minute < 0) {
      if (t.hour == 23)
        next_day(t);
      else
        t = CivilTime{t.year, t.month, t.day, t.hour + 1, 0, 0};
      continue;
    }
    t.minute = minute;
    t.second = 0;
    return seconds_from_civil(t);
  }
  return std::nullopt;
}

// The first local minute the zone's clock has not yet reached by `after`: past local(after),
// and past what the clock read before a recent step back (a repeated hour was reached the
// first time round).
std::int64_t first_unreached_minute(const Zone& zone, TimeMs after) {
  const std::int64_t after_s = floor_div(after, 1000);
  const std::int64_t local_ms = after + std::int64_t{zone.offset_at(after_s)} * 1000;
  std::int64_t low = (floor_div(local_ms, 60'000) + 1) * 60;
  std::optional<Transition> tr = zone.transition_at_or_before(after_s);
  while (tr && tr->at > after_s - 2 * k_max_offset_s) {
    if (tr->after < tr->before) low = std::max(low, -floor_div(-(tr->at + tr->before), 60) * 60);
    tr = zone.transition_at_or_before(tr->at - 1);
  }
  return low;
}

// The first instant (UTC seconds) at which the zone's clock reads `local` or later. Within one
// offset period the clock is t + offset, so the answer is in the first period where
// local - offset falls before the period's end.
std::int64_t first_reaching(const Zone& zone, std::int64_t local) {
  std::int64_t start = local - k_max_offset_s;
  std::int32_t offset = zone.offset_at(start);
  while (true) {
    std::optional<Transition> tr = zone.transition_after(start);
    std::int64_t candidate = std::max(start, local - offset);
    if (!tr || candidate < tr->at) return candidate;
    start = tr->at;
    offset = tr->after;
  }
}

}  // namespace

Result<TimeMs> next_fire(const CronExpr& e, const Zone& zone, TimeMs after) {
  if (after > k_max_abs_ms || after < -k_max_abs_ms)
    return make_error(ErrorCode::invalid, "cron: time out of range");
  std::optional<std::int64_t> local = next_match(e, first_unreached_minute(zone, after));
  if (!local)
    return make_error(ErrorCode::invalid, "cron '" + e.text + "' has no firing time within " +
                                              std::to_string(k_search_years) + " years");
  return first_reaching(zone, *local) * 1000;
}

TimeMs next_every(std::int64_t period_ms, TimeMs after, TimeMs anchor) {
  HARNESS_ASSERT(period_ms > 0);
  return anchor + (floor_div(after - anchor, period_ms) + 1) * period_ms;
}

}  // namespace harness::scheduler
