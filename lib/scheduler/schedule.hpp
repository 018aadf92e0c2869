#pragma once
// The Schedule spec: what a user defines in the config ([schedules.NAME]), through
// POST /v1/schedules or `harnessctl schedule add`. Plain data plus its JSON codec; the leaf
// template inside is checked by the daemon's submit validation, not here.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "lib/scheduler/catch_up.hpp"

namespace harness::scheduler {

// While the previous leaf of a schedule is unfinished: start no new one (skip), start it
// when the previous ends (queue), or start it anyway (allow).
enum class Overlap { skip, queue, allow };

std::string_view to_string(Overlap o);
std::string_view to_string(CatchUp c);
// invalid naming the accepted words on anything else.
Result<Overlap> parse_overlap(std::string_view s);
Result<CatchUp> parse_catch_up(std::string_view s);

struct Schedule {
  std::string name;
  std::string cron;              // the expression as given; empty for `every` schedules
  std::int64_t every_ms = 0;     // the period; 0 for cron schedules
  std::string timezone = "UTC";  // the cron's zone (IANA name)
  Overlap overlap = Overlap::skip;
  CatchUp catch_up = CatchUp::none;
  std::int64_t jitter_ms = 0;
  nlohmann::json leaf = nlohmann::json::object();  // the submit body each firing sends
};

// 1-64 of [A-Za-z0-9._-], starting with a letter or digit (it becomes a label value).
Status check_schedule_name(std::string_view name);

// Parses {"name", "cron" | "every", "timezone", "overlap", "catch_up", "jitter", "leaf"}
// (durations are strings like "30s"). bad_request for a wrong type, invalid for a bad value
// (cron errors give their column). Checks the zone's name but does not load it: make_trigger.
Result<Schedule> schedule_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Schedule& s);

// Parses the cron expression and loads the zone. Blocking (reads the zone file): call it off
// the loop or at start-up. invalid for an unknown zone.
Result<Trigger> make_trigger(const Schedule& s, std::string_view zoneinfo_dir = k_zoneinfo_dir);

}  // namespace harness::scheduler
