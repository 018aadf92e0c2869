#pragma once
// Proleptic Gregorian calendar arithmetic on plain integers (no time zone, no libc).
// "Local seconds" are seconds since 1970-01-01 00:00 of a wall clock, as if it were UTC.

#include <cstdint>

namespace harness::scheduler {

// Rounds toward negative infinity (b > 0).
std::int64_t floor_div(std::int64_t a, std::int64_t b);

bool is_leap(std::int64_t year);
// 28-31; month is 1-12.
int days_in_month(std::int64_t year, int month);

// Days since 1970-01-01 of year-month-day (month 1-12, day 1-31).
std::int64_t days_from_civil(std::int64_t year, int month, int day);
// 0 = Sunday ... 6 = Saturday.
int weekday_from_days(std::int64_t days);

struct CivilTime {
  std::int64_t year = 1970;
  int month = 1;  // 1-12
  int day = 1;    // 1-31
  int hour = 0;
  int minute = 0;
  int second = 0;
};

CivilTime civil_from_seconds(std::int64_t local_seconds);
std::int64_t seconds_from_civil(const CivilTime& t);

}  // namespace harness::scheduler
