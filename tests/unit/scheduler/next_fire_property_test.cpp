// Property: over a year, the firing times next_fire chains through are exactly those a
// brute-force scan of every UTC minute finds. The scan reads the rule in next_fire.hpp
// literally: a wall-clock minute fires at the first instant the clock reads it or later, so
// each scanned minute fires the named minutes in (highest minute read so far, minute now].

#include <doctest/doctest.h>

#include <ctime>
#include <string>
#include <vector>

#include "lib/scheduler/next_fire.hpp"

using namespace harness;
using namespace harness::scheduler;

namespace {

const char* const k_exprs[] = {"*/7 * * * *",  "30 2 * * *",     "0 * * * *",     "15,45 1-3 * * *",
                               "0 0 13 * fri", "0 12 */2 * mon", "@monthly",      "0 2 29 2 *",
                               "*/15 * * * *", "0 1-3 * * sun",  "45 2 * 3,10 *", "0 0 * * *"};
const char* const k_zones[] = {
    "UTC",          "Europe/Berlin",  "America/New_York", "Australia/Lord_Howe",
    "Asia/Kolkata", "Pacific/Chatham"};

// Does `e` name the wall-clock minute `tm` (decomposed by libc, independently of the
// scheduler's calendar code)?
bool names(const CronExpr& e, const std::tm& tm) {
  return (e.minutes >> tm.tm_min & 1) && (e.hours >> tm.tm_hour & 1) &&
         (e.months >> (tm.tm_mon + 1) & 1) && day_matches(e, tm.tm_mday, tm.tm_wday);
}

std::vector<std::vector<TimeMs>> brute_force(const std::vector<CronExpr>& exprs, const Zone& z,
                                             std::int64_t from, std::int64_t to) {
  std::vector<std::vector<TimeMs>> fires(exprs.size());
  std::int64_t high = from - 60 + z.offset_at(from - 60);
  for (std::int64_t t = from; t <= to; t += 60) {
    std::int64_t local = t + z.offset_at(t);
    for (std::int64_t w = high + 60; w <= local; w += 60) {
      std::time_t wall = static_cast<std::time_t>(w);
      std::tm tm{};
      ::gmtime_r(&wall, &tm);
      for (std::size_t i = 0; i < exprs.size(); ++i)
        if (names(exprs[i], tm) && (fires[i].empty() || fires[i].back() != t * 1000))
          fires[i].push_back(t * 1000);
    }
    high = std::max(high, local);
  }
  return fires;
}

}  // namespace

TEST_CASE("next_fire matches a brute-force minute scan over a year, DST included") {
  const std::int64_t from = *parse_rfc3339("2024-01-01T00:00:00Z") / 1000;
  const std::int64_t to = *parse_rfc3339("2025-01-01T00:00:00Z") / 1000;
  std::vector<CronExpr> exprs;
  for (const char* text : k_exprs) exprs.push_back(*parse_cron(text));
  for (std::string zone_name : k_zones) {
    CAPTURE(zone_name);
    Zone zone = *load_zone(zone_name);
    std::vector<std::vector<TimeMs>> expected = brute_force(exprs, zone, from, to);
    for (std::size_t i = 0; i < exprs.size(); ++i) {
      CAPTURE(exprs[i].text);
      std::vector<TimeMs> got;
      TimeMs t = (from - 60) * 1000;
      while (true) {
        Result<TimeMs> next = next_fire(exprs[i], zone, t);
        REQUIRE(next.has_value());
        REQUIRE(*next > t);
        if (*next > to * 1000) break;
        // From anywhere between two firings, the next one is the same.
        REQUIRE(*next_fire(exprs[i], zone, t + (*next - t) / 2) == *next);
        got.push_back(*next);
        t = *next;
      }
      REQUIRE(got.size() == expected[i].size());
      for (std::size_t k = 0; k < got.size(); ++k) {
        CAPTURE(k);
        REQUIRE(format_rfc3339(got[k]) == format_rfc3339(expected[i][k]));
      }
    }
  }
}
