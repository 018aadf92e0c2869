#include <doctest/doctest.h>

#include "lib/scheduler/schedule.hpp"

using namespace harness;
using namespace harness::scheduler;
using Json = nlohmann::json;

TEST_CASE("a cron schedule parses from JSON and back") {
  Json in = Json::parse(R"({"name": "nightly", "cron": "30 2 * * *", "timezone": "Europe/Berlin",
      "overlap": "queue", "catch_up": "once", "jitter": "10s", "leaf": {"prompt": "hi"}})");
  Schedule s = *schedule_from_json(in);
  CHECK(s.name == "nightly");
  CHECK(s.cron == "30 2 * * *");
  CHECK(s.every_ms == 0);
  CHECK(s.timezone == "Europe/Berlin");
  CHECK(s.overlap == Overlap::queue);
  CHECK(s.catch_up == CatchUp::once);
  CHECK(s.jitter_ms == 10'000);
  CHECK(s.leaf == Json{{"prompt", "hi"}});
  Json out = to_json(s);
  CHECK(out["every"].is_null());
  out.erase("every");
  CHECK(out == in);
  Trigger t = *make_trigger(s);
  REQUIRE(t.cron);
  CHECK(t.zone->name() == "Europe/Berlin");
}

TEST_CASE("an every schedule takes the defaults") {
  Schedule s = *schedule_from_json(Json{{"name", "fast"}, {"every", "90s"}});
  CHECK(s.every_ms == 90'000);
  CHECK(s.overlap == Overlap::skip);
  CHECK(s.catch_up == CatchUp::none);
  CHECK(s.jitter_ms == 0);
  CHECK(to_json(s) == Json::parse(R"({"name": "fast", "cron": null, "every": "90s",
      "timezone": "UTC", "overlap": "skip", "catch_up": "none", "jitter": "0s", "leaf": {}})"));
  CHECK(to_json(*schedule_from_json(Json{{"name", "x"}, {"every", "1500ms"}}))["every"] ==
        "1500ms");
  CHECK(to_json(*schedule_from_json(Json{{"name", "x"}, {"every", "2h"}}))["every"] == "2h");
  Trigger t = *make_trigger(s);
  CHECK_FALSE(t.cron);
  CHECK(*next_fire(t, 0) == 90'000);
}

TEST_CASE("bad schedules are refused with the field and the reason") {
  struct Case {
    const char* json;
    ErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {R"([1])", ErrorCode::bad_request, "schedule: expected a JSON object"},
      {R"({"every": "1m"})", ErrorCode::invalid, "schedule: \"name\" is required"},
      {R"({"name": 5, "every": "1m"})", ErrorCode::bad_request,
       "schedule: \"name\" must be a string"},
      {R"({"name": "-x", "every": "1m"})", ErrorCode::invalid,
       "schedule name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
       "digit"},
      {R"({"name": "a b", "every": "1m"})", ErrorCode::invalid,
       "schedule name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
       "digit"},
      {R"({"name": "x"})", ErrorCode::invalid, "schedule: \"cron\" or \"every\" is required"},
      {R"({"name": "x", "cron": "* * * * *", "every": "1m"})", ErrorCode::invalid,
       "schedule: give \"cron\" or \"every\", not both"},
      {R"({"name": "x", "cron": 5})", ErrorCode::bad_request,
       "schedule: \"cron\" must be a string"},
      {R"({"name": "x", "cron": "61 * * * *"})", ErrorCode::invalid,
       "cron: column 1: minute 61 out of range 0-59"},
      {R"({"name": "x", "every": "fast"})", ErrorCode::invalid,
       "schedule: \"every\": invalid duration 'fast' (use e.g. 90s, 5m, 1h)"},
      {R"({"name": "x", "every": "500ms"})", ErrorCode::invalid,
       "schedule: \"every\": must be at least 1s"},
      {R"({"name": "x", "every": 30})", ErrorCode::bad_request,
       "schedule: \"every\" must be a string"},
      {R"({"name": "x", "every": "1m", "timezone": "/etc/localtime"})", ErrorCode::invalid,
       "invalid time zone '/etc/localtime': an absolute path (expected an IANA name like "
       "Europe/Berlin)"},
      {R"({"name": "x", "every": "1m", "overlap": "never"})", ErrorCode::invalid,
       "overlap must be \"skip\", \"queue\" or \"allow\""},
      {R"({"name": "x", "every": "1m", "catch_up": "all"})", ErrorCode::invalid,
       "catch_up must be \"none\" or \"once\""},
      {R"({"name": "x", "every": "1m", "jitter": "2d"})", ErrorCode::invalid,
       "schedule: \"jitter\": must be at most 24h"},
      {R"({"name": "x", "every": "1m", "leaf": "prompt"})", ErrorCode::bad_request,
       "schedule: \"leaf\" must be an object (a submit body)"},
  };
  for (const Case& c : cases) {
    std::string json = c.json;
    CAPTURE(json);
    Result<Schedule> s = schedule_from_json(Json::parse(c.json));
    REQUIRE_FALSE(s.has_value());
    CHECK(s.error().code == c.code);
    CHECK(s.error().message == c.message);
  }
}

TEST_CASE("an unknown zone is found when the trigger is made") {
  Schedule s = *schedule_from_json(
      Json{{"name", "x"}, {"cron", "@daily"}, {"timezone", "Mars/Olympus_Mons"}});
  Result<Trigger> t = make_trigger(s);
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().code == ErrorCode::invalid);
  CHECK(t.error().message == "unknown time zone 'Mars/Olympus_Mons'");
}
