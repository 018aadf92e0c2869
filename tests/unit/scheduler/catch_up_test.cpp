#include <doctest/doctest.h>

#include <chrono>
#include <set>

#include "lib/base/clock.hpp"
#include "lib/scheduler/catch_up.hpp"

using namespace harness;
using namespace harness::scheduler;

namespace {

Trigger every(std::int64_t ms) {
  Trigger t;
  t.every_ms = ms;
  return t;
}

Trigger cron(const char* expr, const char* zone) {
  Trigger t;
  t.cron = *parse_cron(expr);
  t.zone = std::make_shared<const Zone>(*load_zone(zone));
  return t;
}

TimeMs at(const char* rfc3339) {
  return *parse_rfc3339(rfc3339);
}

}  // namespace

TEST_CASE("a firing that is due on time fires under either catch-up policy") {
  ManualClock clock(10'000);  // the schedule is created at 10s
  const TimeMs created = clock.now_ms();
  Due due = *due_firing(every(60'000), created, clock.now_ms(), CatchUp::none, 5'000);
  CHECK_FALSE(due.fire);
  CHECK(due.next == 60'000);

  clock.set(due.next + 3);  // the timer wakes up a little late
  for (CatchUp mode : {CatchUp::none, CatchUp::once}) {
    due = *due_firing(every(60'000), created, clock.now_ms(), mode, 5'000);
    CHECK(due.fire == 60'000);
    CHECK_FALSE(due.skipped);
    CHECK(due.next == 120'000);
  }
  // Once handled, the same time is not due again.
  due = *due_firing(every(60'000), 60'000, clock.now_ms(), CatchUp::once, 5'000);
  CHECK_FALSE(due.fire);
  CHECK(due.next == 120'000);
}

TEST_CASE("after downtime, catch_up none fires nothing and once fires the latest missed time") {
  ManualClock clock(60'000);
  clock.advance(570'000);  // down from 60s to 630s: 120s ... 600s were missed
  Due none = *due_firing(every(60'000), 60'000, clock.now_ms(), CatchUp::none, 5'000);
  CHECK_FALSE(none.fire);
  CHECK(none.skipped);
  CHECK(none.next == 660'000);
  Due once = *due_firing(every(60'000), 60'000, clock.now_ms(), CatchUp::once, 5'000);
  CHECK(once.fire == 600'000);
  CHECK(once.skipped);
  CHECK(once.next == 660'000);
  // Back just in time for a firing: it is on time, the earlier ones are still skipped.
  Due back = *due_firing(every(60'000), 60'000, 601'000, CatchUp::none, 5'000);
  CHECK(back.fire == 600'000);
  CHECK(back.skipped);
  // A clock that went backwards makes nothing due.
  Due past = *due_firing(every(60'000), 600'000, 500'000, CatchUp::once, 5'000);
  CHECK_FALSE(past.fire);
  CHECK(past.next == 660'000);
}

TEST_CASE("catch-up works on cron schedules across DST and long downtime, quickly") {
  Trigger daily = cron("30 2 * * *", "Europe/Berlin");
  TimeMs last = at("2025-10-20T00:30:00Z");
  TimeMs now = at("2025-10-27T12:00:00Z");
  Due once = *due_firing(daily, last, now, CatchUp::once, 60'000);
  CHECK(format_rfc3339(*once.fire) == "2025-10-27T01:30:00.000Z");
  CHECK(format_rfc3339(once.next) == "2025-10-28T01:30:00.000Z");
  CHECK_FALSE(due_firing(daily, last, now, CatchUp::none, 60'000)->fire);

  auto start = std::chrono::steady_clock::now();
  Trigger minutely = cron("* * * * *", "America/New_York");
  Due year = *due_firing(minutely, at("2024-01-01T00:00:00Z"), at("2025-01-01T00:00:30Z"),
                         CatchUp::once, 10'000);
  CHECK(format_rfc3339(*year.fire) == "2025-01-01T00:00:00.000Z");
  CHECK(year.skipped);
  Trigger yearly = cron("@yearly", "Europe/Berlin");
  Due decade = *due_firing(yearly, at("2015-06-01T00:00:00Z"), at("2025-06-01T00:00:00Z"),
                           CatchUp::once, 10'000);
  CHECK(format_rfc3339(*decade.fire) == "2024-12-31T23:00:00.000Z");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
}

TEST_CASE("jitter is a stable delay within bounds that spreads firings") {
  CHECK(jitter_delay_ms("nightly", 1'000, 0) == 0);
  std::set<std::int64_t> seen;
  for (TimeMs t = 0; t < 100 * 60'000; t += 60'000) {
    std::int64_t d = jitter_delay_ms("nightly", t, 10'000);
    CHECK(d >= 0);
    CHECK(d <= 10'000);
    CHECK(jitter_delay_ms("nightly", t, 10'000) == d);
    seen.insert(d);
  }
  CHECK(seen.size() > 90);
  CHECK(jitter_delay_ms("a", 60'000, 10'000) != jitter_delay_ms("b", 60'000, 10'000));
}
