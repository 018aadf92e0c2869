#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>

#include "lib/scheduler/next_fire.hpp"

using namespace harness;
using namespace harness::scheduler;

namespace {

const Zone& zone(const std::string& name) {
  static std::map<std::string, Zone> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, *load_zone(name)).first;
  return it->second;
}

TimeMs at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}

struct Case {
  const char* expr;
  const char* zone;
  const char* after;
  const char* want;
};

}  // namespace

TEST_CASE("next_fire: a table of expressions, zones and DST days") {
  const Case cases[] = {
      {"*/15 * * * *", "UTC", "2025-06-01T10:07:30Z", "2025-06-01T10:15:00.000Z"},
      {"*/15 * * * *", "UTC", "2025-06-01T10:15:00Z", "2025-06-01T10:30:00.000Z"},
      {"*/15 * * * *", "UTC", "2025-06-01T10:14:59.999Z", "2025-06-01T10:15:00.000Z"},
      {"0 0 * * *", "UTC", "2025-12-31T23:59:00Z", "2026-01-01T00:00:00.000Z"},
      {"0 0 29 2 *", "UTC", "2025-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"},
      {"0 0 31 * *", "UTC", "2025-04-01T00:00:00Z", "2025-05-31T00:00:00.000Z"},
      {"0 9 * * mon-fri", "UTC", "2025-06-06T09:00:00Z", "2025-06-09T09:00:00.000Z"},
      {"0 0 13 * fri", "UTC", "2025-06-01T00:00:00Z", "2025-06-06T00:00:00.000Z"},
      {"0 0 */2 * mon", "UTC", "2025-06-01T00:00:00Z", "2025-06-09T00:00:00.000Z"},
      {"30 4 1,15 * 5", "UTC", "2025-06-01T04:30:00Z", "2025-06-06T04:30:00.000Z"},
      {"0 12 * jan,jul *", "UTC", "2025-02-01T00:00:00Z", "2025-07-01T12:00:00.000Z"},
      {"59 23 31 12 *", "UTC", "2025-12-31T23:59:00Z", "2026-12-31T23:59:00.000Z"},
      {"@monthly", "UTC", "2025-01-31T12:00:00Z", "2025-02-01T00:00:00.000Z"},
      {"@yearly", "UTC", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00.000Z"},
      {"@weekly", "UTC", "2025-06-01T00:00:00Z", "2025-06-08T00:00:00.000Z"},
      {"0 0 * * 7", "UTC", "2025-06-01T00:00:00Z", "2025-06-08T00:00:00.000Z"},
      {"0 0 * * *", "Asia/Kolkata", "2025-01-01T00:00:00Z", "2025-01-01T18:30:00.000Z"},
      // Berlin springs forward on 2025-03-30 at 01:00Z: 02:00 CET becomes 03:00 CEST.
      {"30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", "2025-03-30T01:00:00.000Z"},
      {"30 2 * * *", "Europe/Berlin", "2025-03-30T01:00:00Z", "2025-03-31T00:30:00.000Z"},
      {"0 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", "2025-03-30T01:00:00.000Z"},
      {"0 3 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", "2025-03-30T01:00:00.000Z"},
      {"0 1 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", "2025-03-30T00:00:00.000Z"},
      {"*/15 * * * *", "Europe/Berlin", "2025-03-30T00:45:00Z", "2025-03-30T01:00:00.000Z"},
      {"*/15 * * * *", "Europe/Berlin", "2025-03-30T01:00:00Z", "2025-03-30T01:15:00.000Z"},
      // Berlin falls back on 2025-10-26 at 01:00Z: 03:00 CEST becomes 02:00 CET.
      {"30 2 * * *", "Europe/Berlin", "2025-10-25T12:00:00Z", "2025-10-26T00:30:00.000Z"},
      {"30 2 * * *", "Europe/Berlin", "2025-10-26T00:30:00Z", "2025-10-27T01:30:00.000Z"},
      {"30 2 * * *", "Europe/Berlin", "2025-10-26T01:10:00Z", "2025-10-27T01:30:00.000Z"},
      {"*/15 * * * *", "Europe/Berlin", "2025-10-26T00:45:00Z", "2025-10-26T02:00:00.000Z"},
      {"*/15 * * * *", "Europe/Berlin", "2025-10-26T01:30:00Z", "2025-10-26T02:00:00.000Z"},
      {"0 * * * *", "Europe/Berlin", "2025-10-26T00:00:00Z", "2025-10-26T02:00:00.000Z"},
      // New York springs forward on 2025-03-09 at 07:00Z (02:00 EST -> 03:00 EDT) and falls
      // back on 2025-11-02 at 06:00Z (02:00 EDT -> 01:00 EST).
      {"30 2 * * *", "America/New_York", "2025-03-08T12:00:00Z", "2025-03-09T07:00:00.000Z"},
      {"30 2 * * *", "America/New_York", "2025-03-09T07:00:00Z", "2025-03-10T06:30:00.000Z"},
      {"0 9 * * *", "America/New_York", "2025-03-09T00:00:00Z", "2025-03-09T13:00:00.000Z"},
      {"30 1 * * *", "America/New_York", "2025-11-01T12:00:00Z", "2025-11-02T05:30:00.000Z"},
      {"30 1 * * *", "America/New_York", "2025-11-02T05:30:00Z", "2025-11-03T06:30:00.000Z"},
      {"0 * * * *", "America/New_York", "2025-11-02T05:00:00Z", "2025-11-02T07:00:00.000Z"},
      // Samoa skipped 2011-12-30 entirely (UTC-10 to UTC+14 at 2011-12-30T10:00Z).
      {"0 12 30 12 *", "Pacific/Apia", "2011-12-01T00:00:00Z", "2011-12-30T10:00:00.000Z"},
      {"0 12 * * *", "Pacific/Apia", "2011-12-29T23:00:00Z", "2011-12-30T10:00:00.000Z"},
      {"0 12 * * *", "Pacific/Apia", "2011-12-30T10:00:00Z", "2011-12-30T22:00:00.000Z"},
  };
  for (const Case& c : cases) {
    std::string what = std::string(c.expr) + " in " + c.zone + " after " + c.after;
    CAPTURE(what);
    Result<TimeMs> got = next_fire(*parse_cron(c.expr), zone(c.zone), at(c.after));
    REQUIRE_MESSAGE(got.has_value(), got.error().message);
    CHECK(format_rfc3339(*got) == c.want);
  }
}

TEST_CASE("next_fire gives up on an expression that never fires, quickly") {
  CronExpr never;  // what "0 0 30 2 *" would be, had the parser not refused it
  never.minutes = 1;
  never.hours = 1;
  never.days = 1u << 30;
  never.months = 1u << 2;
  never.weekdays = 0x7f;
  never.dow_star = true;
  never.text = "0 0 30 2 *";
  auto start = std::chrono::steady_clock::now();
  Result<TimeMs> got = next_fire(never, Zone::utc(), at("2025-01-01T00:00:00Z"));
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error().message == "cron '0 0 30 2 *' has no firing time within 100 years");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
  // Rare but real: February 1st on a Monday ('*/31' counts as '*', so both must match).
  Result<TimeMs> rare =
      next_fire(*parse_cron("0 0 */31 2 mon"), Zone::utc(), at("2022-01-01T00:00:00Z"));
  CHECK(format_rfc3339(*rare) == "2027-02-01T00:00:00.000Z");
  CHECK_FALSE(next_fire(*parse_cron("* * * * *"), Zone::utc(), std::int64_t{1} << 62));
}

TEST_CASE("every: multiples of the period from the anchor, strictly after") {
  CHECK(next_every(30'000, 0) == 30'000);
  CHECK(next_every(30'000, 29'999) == 30'000);
  CHECK(next_every(30'000, 30'000) == 60'000);
  CHECK(next_every(30'000, 45'000, 1'000) == 61'000);
  CHECK(next_every(30'000, -1) == 0);
  CHECK(next_every(30'000, 500, 1'000) == 1'000);
}
