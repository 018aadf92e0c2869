#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "lib/base/fs.hpp"
#include "lib/base/time.hpp"
#include "lib/scheduler/zone.hpp"

using namespace harness;
using namespace harness::scheduler;

namespace {

std::int64_t utc_s(const char* rfc3339) {
  return *parse_rfc3339(rfc3339) / 1000;
}

// The C library's opinion of the offset at `t` in `zone`: an independent oracle. Sets TZ for
// the duration of the test only (doctest runs tests on one thread).
class LibcZone {
 public:
  explicit LibcZone(const std::string& zone) {
    if (const char* old = std::getenv("TZ")) m_old = old;
    m_had_old = std::getenv("TZ") != nullptr;
    ::setenv("TZ", (":" + zone).c_str(), 1);
    ::tzset();
  }
  ~LibcZone() {
    if (m_had_old)
      ::setenv("TZ", m_old.c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }
  long offset_at(std::int64_t t) const {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    ::localtime_r(&tt, &tm);
    return tm.tm_gmtoff;
  }

 private:
  std::string m_old;
  bool m_had_old = false;
};

}  // namespace

TEST_CASE("zones load from the tz database with their DST transitions") {
  Zone berlin = *load_zone("Europe/Berlin");
  CHECK(berlin.name() == "Europe/Berlin");
  CHECK(berlin.offset_at(utc_s("2025-01-15T12:00:00Z")) == 3600);
  CHECK(berlin.offset_at(utc_s("2025-07-15T12:00:00Z")) == 7200);
  auto spring = berlin.transition_after(utc_s("2025-01-01T00:00:00Z"));
  REQUIRE(spring);
  CHECK(spring->at == utc_s("2025-03-30T01:00:00Z"));
  CHECK(spring->before == 3600);
  CHECK(spring->after == 7200);
  auto fall = berlin.transition_after(spring->at);
  REQUIRE(fall);
  CHECK(fall->at == utc_s("2025-10-26T01:00:00Z"));
  CHECK(berlin.transition_at_or_before(fall->at)->at == fall->at);
  CHECK(berlin.transition_at_or_before(fall->at - 1)->at == spring->at);

  Zone ny = *load_zone("America/New_York");
  CHECK(ny.transition_after(utc_s("2025-01-01T00:00:00Z"))->at == utc_s("2025-03-09T07:00:00Z"));
  CHECK(ny.transition_after(utc_s("2025-06-01T00:00:00Z"))->at == utc_s("2025-11-02T06:00:00Z"));
  CHECK(ny.offset_at(utc_s("2025-11-02T05:59:59Z")) == -4 * 3600);
  CHECK(ny.offset_at(utc_s("2025-11-02T06:00:00Z")) == -5 * 3600);

  Zone utc = *load_zone("UTC");
  CHECK(utc.offset_at(utc_s("2025-07-15T12:00:00Z")) == 0);
  CHECK_FALSE(utc.transition_after(0).has_value());
}

TEST_CASE("zone offsets agree with the C library at every transition and in between") {
  const char* zones[] = {"Europe/Berlin",    "America/New_York", "Australia/Sydney",
                         "Asia/Kolkata",     "Pacific/Chatham",  "America/Sao_Paulo",
                         "Europe/Dublin",    "Pacific/Apia",     "Africa/Casablanca",
                         "America/St_Johns", "Antarctica/Troll", "Asia/Tehran"};
  const std::int64_t from = utc_s("1900-01-01T00:00:00Z");
  const std::int64_t to = utc_s("2100-01-01T00:00:00Z");
  for (std::string name : zones) {
    CAPTURE(name);
    Zone zone = *load_zone(name);
    LibcZone libc(name);
    int checked = 0;
    for (auto tr = zone.transition_after(from); tr && tr->at < to;
         tr = zone.transition_after(tr->at)) {
      REQUIRE(libc.offset_at(tr->at - 1) == tr->before);
      REQUIRE(libc.offset_at(tr->at) == tr->after);
      REQUIRE(zone.offset_at(tr->at - 1) == tr->before);
      REQUIRE(zone.offset_at(tr->at) == tr->after);
      ++checked;
    }
    for (std::int64_t t = from; t < to; t += 86400 * 5 + 3671) {
      CAPTURE(t);
      REQUIRE(zone.offset_at(t) == libc.offset_at(t));
    }
    CHECK(checked > 0);
  }
}

TEST_CASE("zone names are IANA names, never paths") {
  for (const char* bad :
       {"", "/etc/localtime", "../etc/passwd", "Europe/../../etc/shadow", "Europe//Berlin",
        "Europe/Berlin/", "./UTC", "Europe/Berlin\n", "Europe\\Berlin", "Europe/Ber lin"}) {
    std::string name = bad;
    CAPTURE(name);
    Status s = check_zone_name(bad);
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == ErrorCode::invalid);
    CHECK_FALSE(load_zone(bad).has_value());
  }
  CHECK(check_zone_name("Etc/GMT+5").has_value());
  CHECK(check_zone_name("America/Argentina/Buenos_Aires").has_value());
  CHECK(check_zone_name("Europe/../../etc/shadow").error().message ==
        "invalid time zone 'Europe/../../etc/shadow': only letters, digits, '_', '+', '-' and "
        "'/' are allowed (expected an IANA name like Europe/Berlin)");
  CHECK(load_zone("Mars/Olympus_Mons").error().message == "unknown time zone 'Mars/Olympus_Mons'");
  CHECK(load_zone("Europe").error().message == "unknown time zone 'Europe'");
}

TEST_CASE("POSIX TZ rules parse and give the transitions of any year") {
  PosixTz cet = *parse_posix_tz("CET-1CEST,M3.5.0,M10.5.0/3");
  CHECK(cet.std_offset == 3600);
  CHECK(cet.dst_offset == 7200);
  YearTransitions y = posix_transitions(cet, 2025);
  REQUIRE(y.count == 2);
  CHECK(y.items[0].at == utc_s("2025-03-30T01:00:00Z"));
  CHECK(y.items[1].at == utc_s("2025-10-26T01:00:00Z"));

  PosixTz sydney = *parse_posix_tz("AEST-10AEDT,M10.1.0,M4.1.0/3");
  y = posix_transitions(sydney, 2025);
  REQUIRE(y.count == 2);
  CHECK(y.items[0].at == utc_s("2025-04-05T16:00:00Z"));  // 03:00 AEDT, first Sunday of April
  CHECK(y.items[0].after == 36000);
  CHECK(y.items[1].at == utc_s("2025-10-04T16:00:00Z"));  // 02:00 AEST, first Sunday of October

  CHECK(parse_posix_tz("<+0330>-3:30")->std_offset == 12600);
  CHECK_FALSE(parse_posix_tz("<+0330>-3:30")->has_dst);
  PosixTz us = *parse_posix_tz("EST5EDT");
  CHECK(posix_transitions(us, 2025).items[0].at == utc_s("2025-03-09T07:00:00Z"));
  CHECK(parse_posix_tz("IST-1GMT0,M10.5.0,M3.5.0/1")->dst_offset == 0);
  CHECK(posix_transitions(*parse_posix_tz("XXX3YYY,J60/0,300"), 2024).items[0].at ==
        utc_s("2024-03-01T03:00:00Z"));  // J60 is March 1st even in a leap year

  for (const char* bad : {"", "X1", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0",
                          "CET-1CEST,M3.5.7,M10.5.0", "CET-1CEST,J0,J10", "CET-99"}) {
    std::string text = bad;
    CAPTURE(text);
    CHECK_FALSE(parse_posix_tz(bad).has_value());
  }
}

TEST_CASE("a zone past its table follows its footer rule, as a rule-only zone does") {
  Zone berlin = *load_zone("Europe/Berlin");
  Zone rule_only("CET", {}, 3600, *parse_posix_tz("CET-1CEST,M3.5.0,M10.5.0/3"));
  for (std::int64_t t = utc_s("1996-01-01T00:00:00Z"); t < utc_s("2300-01-01T00:00:00Z");
       t += 86400 * 3 + 1234) {
    REQUIRE(berlin.offset_at(t) == rule_only.offset_at(t));
  }
  CHECK(berlin.transition_after(utc_s("2250-01-01T00:00:00Z"))->at ==
        rule_only.transition_after(utc_s("2250-01-01T00:00:00Z"))->at);
}

TEST_CASE("malformed TZif data is an error, never a crash") {
  std::string data = *read_file(std::string(k_zoneinfo_dir) + "/America/New_York");
  REQUIRE(parse_tzif("NY", data).has_value());
  for (std::size_t n = 0; n < data.size(); ++n) {
    Result<Zone> z = parse_tzif("NY", data.substr(0, n));
    CAPTURE(n);
    CHECK_FALSE(z.has_value());
  }
  for (std::size_t i = 0; i < data.size(); i += 7) {
    std::string corrupt = data;
    corrupt[i] = static_cast<char>(corrupt[i] ^ 0xa5);
    Result<Zone> z = parse_tzif("NY", corrupt);
    if (z) (void)z->offset_at(0);
  }
  std::string v1 = data;
  v1[4] = '\0';
  CHECK(parse_tzif("NY", v1).error().message == "bad TZif data: version 1 files are not supported");
}
