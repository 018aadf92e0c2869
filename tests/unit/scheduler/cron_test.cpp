#include <doctest/doctest.h>

#include <string>

#include "lib/scheduler/cron.hpp"
#include "lib/scheduler/next_fire.hpp"

using namespace harness;
using namespace harness::scheduler;

namespace {

// "0,15,30,45" for the set bits in [lo, hi]; "*" when all are set.
std::string list(std::uint64_t bits, int lo, int hi) {
  std::string out;
  bool all = true;
  for (int i = lo; i <= hi; ++i) {
    if (!(bits >> i & 1)) {
      all = false;
      continue;
    }
    out += (out.empty() ? "" : ",") + std::to_string(i);
  }
  return all ? "*" : out;
}

struct Parsed {
  std::string minutes, hours, days, months, weekdays;
  bool dom_star, dow_star;
};

Parsed parsed(const char* text) {
  Result<CronExpr> e = parse_cron(text);
  REQUIRE_MESSAGE(e.has_value(), text, ": ", e.error().message);
  return {
      list(e->minutes, 0, 59), list(e->hours, 0, 23), list(e->days, 1, 31), list(e->months, 1, 12),
      list(e->weekdays, 0, 6), e->dom_star,           e->dow_star};
}

struct Case {
  const char* text;
  Parsed want;
};

}  // namespace

TEST_CASE("cron expressions parse into the times they name") {
  const Case cases[] = {
      {"* * * * *", {"*", "*", "*", "*", "*", true, true}},
      {"*/15 * * * *", {"0,15,30,45", "*", "*", "*", "*", true, true}},
      {"5 9-17/4 * * *", {"5", "9,13,17", "*", "*", "*", true, true}},
      {"0,30 8,12,18 1,15 * *", {"0,30", "8,12,18", "1,15", "*", "*", false, true}},
      {"10-12 0 * * *", {"10,11,12", "0", "*", "*", "*", true, true}},
      {"50/5 * * * *", {"50,55", "*", "*", "*", "*", true, true}},
      {"0 0 * jan-mar,DEC *", {"0", "0", "*", "1,2,3,12", "*", true, true}},
      {"0 0 * Jun *", {"0", "0", "*", "6", "*", true, true}},
      {"0 0 * * mon-fri", {"0", "0", "*", "*", "1,2,3,4,5", true, false}},
      {"0 0 * * SUN,sat", {"0", "0", "*", "*", "0,6", true, false}},
      {"0 0 * * 7", {"0", "0", "*", "*", "0", true, false}},
      {"0 0 * * 5-7", {"0", "0", "*", "*", "0,5,6", true, false}},
      {"0 0 * * */2", {"0", "0", "*", "*", "0,2,4,6", true, true}},
      {"0 0 */10 * *", {"0", "0", "1,11,21,31", "*", "*", true, true}},
      {"0 0 13 * fri", {"0", "0", "13", "*", "5", false, false}},
      {"  0\t0  1 1 *  ", {"0", "0", "1", "1", "*", false, true}},
      {"@hourly", {"0", "*", "*", "*", "*", true, true}},
      {"@daily", {"0", "0", "*", "*", "*", true, true}},
      {"@midnight", {"0", "0", "*", "*", "*", true, true}},
      {"@weekly", {"0", "0", "*", "*", "0", true, false}},
      {"@monthly", {"0", "0", "1", "*", "*", false, true}},
      {"@yearly", {"0", "0", "1", "1", "*", false, true}},
      {"@ANNUALLY", {"0", "0", "1", "1", "*", false, true}},
  };
  for (const Case& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    Parsed p = parsed(c.text);
    CHECK(p.minutes == c.want.minutes);
    CHECK(p.hours == c.want.hours);
    CHECK(p.days == c.want.days);
    CHECK(p.months == c.want.months);
    CHECK(p.weekdays == c.want.weekdays);
    CHECK(p.dom_star == c.want.dom_star);
    CHECK(p.dow_star == c.want.dow_star);
  }
  CHECK(parse_cron("@daily")->text == "@daily");
}

TEST_CASE("day-of-month and day-of-week follow Vixie: either when both are restricted") {
  CronExpr both = *parse_cron("0 0 13 * fri");
  CHECK(day_matches(both, 13, 2));  // the 13th, a Tuesday
  CHECK(day_matches(both, 6, 5));   // a Friday, the 6th
  CHECK_FALSE(day_matches(both, 6, 2));
  CronExpr dow_only = *parse_cron("0 0 * * fri");
  CHECK_FALSE(day_matches(dow_only, 13, 2));
  CHECK(day_matches(dow_only, 6, 5));
  // A field starting with '*' counts as unrestricted, so both must match.
  CronExpr starred = *parse_cron("0 0 */2 * mon");
  CHECK(day_matches(starred, 3, 1));
  CHECK_FALSE(day_matches(starred, 4, 1));
  CHECK_FALSE(day_matches(starred, 3, 2));
}

TEST_CASE("cron errors name the column and what was expected") {
  const std::pair<const char*, const char*> cases[] = {
      {"61 * * * *", "cron: column 1: minute 61 out of range 0-59"},
      {"0 24 * * *", "cron: column 3: hour 24 out of range 0-23"},
      {"0 0 0 * *", "cron: column 5: day-of-month 0 out of range 1-31"},
      {"0 0 * 13 *", "cron: column 7: month 13 out of range 1-12"},
      {"0 0 * * 8", "cron: column 9: day-of-week 8 out of range 0-7"},
      {"0,61 * * * *", "cron: column 3: minute 61 out of range 0-59"},
      {"*/0 * * * *", "cron: column 3: step 0 out of range 1-60"},
      {"30-10 * * * *",
       "cron: column 1: range 30-10 is reversed (the start must not exceed the end)"},
      {"0 0 * foo *", "cron: column 7: unknown month name 'foo' (expected a month name (jan-dec))"},
      {"0 0 * * mo",
       "cron: column 9: unknown day-of-week name 'mo' (expected a day name (sun-sat))"},
      {"x * * * *", "cron: column 1: expected a number in the minute field, got 'x'"},
      {"0 0 * * ,",
       "cron: column 9: expected a number or a day name (sun-sat) in the day-of-week "
       "field, got ','"},
      {"1- * * * *",
       "cron: column 3: expected a number in the minute field, got the end of the field"},
      {"*-5 * * * *",
       "cron: column 2: unexpected '-' in the minute field (expected ',', '-', '/' "
       "or a space)"},
      {"0 0 * *",
       "cron: column 8: missing the day-of-week field (expected 5 fields: minute hour "
       "day-of-month month day-of-week)"},
      {"0 0 * * * 2026",
       "cron: column 11: unexpected sixth field (expected 5 fields: minute hour "
       "day-of-month month day-of-week)"},
      {"",
       "cron: column 1: empty expression (expected 5 fields: minute hour day-of-month month "
       "day-of-week, or a macro like @daily)"},
      {"@reboot",
       "cron: column 1: unknown macro '@reboot' (expected @hourly, @daily, @midnight, "
       "@weekly, @monthly, @yearly or @annually)"},
      {"@daily 5", "cron: column 8: unexpected text after @daily"},
      {"0 0 30 2 *", "cron: column 5: day-of-month 30 never occurs in the chosen months"},
      {"0 0 31 4,6,9,11 *", "cron: column 5: day-of-month 31 never occurs in the chosen months"},
  };
  for (auto& [c_text, message] : cases) {
    std::string text = c_text;
    CAPTURE(text);
    Result<CronExpr> e = parse_cron(text);
    REQUIRE_FALSE(e.has_value());
    CHECK(e.error().code == ErrorCode::invalid);
    CHECK(e.error().message == message);
  }
}

TEST_CASE("cron accepts days that exist in some chosen month, and rejects odd bytes safely") {
  CHECK(parse_cron("0 0 29 2 *").has_value());    // leap days
  CHECK(parse_cron("0 0 30 2 mon").has_value());  // either day field may match
  CHECK(parse_cron("0 0 31 2,3 *").has_value());
  Result<CronExpr> e = parse_cron("0 0 * * \xff");
  REQUIRE_FALSE(e.has_value());
  CHECK(e.error().message.find("byte 0xff") != std::string::npos);
  CHECK_FALSE(parse_cron(std::string(2000, '1')).has_value());
  CHECK_FALSE(parse_cron("99999999999999999999 * * * *").has_value());
}

TEST_CASE("random expressions parse or fail with a column inside the text") {
  const std::string alphabet = "0123456789*/-, \tjanfrimonsu@dly7";
  std::uint64_t state = 42;
  const Zone berlin = *load_zone("Europe/Berlin");
  int parsed = 0;
  auto next = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>(state >> 33);
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    if (i % 2) {
      for (std::size_t n = next() % 24; n > 0; --n) text += alphabet[next() % alphabet.size()];
    } else {  // five plausible fields: most parse, some are out of range or reversed
      const int lo[] = {0, 0, 1, 1, 0};
      const int span[] = {60, 24, 31, 12, 8};
      const char* names[] = {"0", "0", "1", "Feb", "fri"};
      for (int f = 0; f < 5; ++f) {
        auto value = [&] {
          return std::to_string(lo[f] + next() % (span[f] + (next() % 20 == 0)));
        };
        text += f ? " " : "";
        for (std::size_t k = next() % 3; k <= 2; ++k) {
          std::string step = "/" + std::to_string(1 + next() % 9);
          const std::string items[] = {
              "*",     "*" + step, value(), value() + "-" + value(), value() + "-" + value() + step,
              names[f]};
          text += items[next() % 6] + (k < 2 ? "," : "");
        }
      }
    }
    CAPTURE(text);
    Result<CronExpr> e = parse_cron(text);
    if (e) {
      ++parsed;
      CHECK(e->minutes != 0);
      CHECK(e->weekdays != 0);
      Result<TimeMs> fire = next_fire(*e, berlin, 1'750'000'000'000);
      if (fire) CHECK(*fire > 1'750'000'000'000);
      continue;
    }
    const std::string& m = e.error().message;
    REQUIRE(m.rfind("cron: column ", 0) == 0);
    std::size_t column = std::stoul(m.substr(13));
    CHECK(column >= 1);
    CHECK(column <= text.size() + 1);
  }
  CHECK(parsed > 1000);
}
