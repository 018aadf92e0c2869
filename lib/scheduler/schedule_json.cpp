// JSON codec of Schedule (POST /v1/schedules bodies and answers; [schedules.NAME] tables
// converted by the config loader). Typed access only: nothing here throws on bad input.

#include "lib/scheduler/schedule.hpp"

namespace harness::scheduler {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t k_max_jitter_ms = 86'400'000;

Error wrong_type(std::string_view key, std::string_view expected) {
  return make_error(ErrorCode::bad_request,
                    "schedule: \"" + std::string(key) + "\" must be " + std::string(expected));
}

Error invalid(std::string_view key, const std::string& why) {
  return make_error(ErrorCode::invalid, "schedule: \"" + std::string(key) + "\": " + why);
}

// j[key] as a string; nullopt when absent or null.
Result<std::optional<std::string>> string_at(const Json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return wrong_type(key, "a string");
  return std::optional<std::string>{it->get<std::string>()};
}

Result<std::optional<std::int64_t>> duration_at(const Json& j, std::string_view key) {
  HARNESS_TRY_ASSIGN(std::optional<std::string> text, string_at(j, key));
  if (!text) return std::optional<std::int64_t>{};
  Result<std::int64_t> ms = parse_duration_ms(*text);
  if (!ms) return invalid(key, ms.error().message);
  return std::optional<std::int64_t>{*ms};
}

// The shortest exact form parse_duration_ms reads back: "90s", "5m", "1500ms".
std::string format_duration(std::int64_t ms) {
  if (ms > 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms > 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Status read_trigger(const Json& j, Schedule& s) {
  HARNESS_TRY_ASSIGN(std::optional<std::string> cron, string_at(j, "cron"));
  HARNESS_TRY_ASSIGN(std::optional<std::int64_t> every, duration_at(j, "every"));
  if (cron && every)
    return make_error(ErrorCode::invalid, "schedule: give \"cron\" or \"every\", not both");
  if (!cron && !every)
    return make_error(ErrorCode::invalid, "schedule: \"cron\" or \"every\" is required");
  if (every) {
    if (*every < 1000) return invalid("every", "must be at least 1s");
    s.every_ms = *every;
    return {};
  }
  HARNESS_TRY(parse_cron(*cron));
  s.cron = *cron;
  return {};
}

Status read_options(const Json& j, Schedule& s) {
  HARNESS_TRY_ASSIGN(std::optional<std::string> tz, string_at(j, "timezone"));
  if (tz) {
    HARNESS_TRY(check_zone_name(*tz));
    s.timezone = *tz;
  }
  HARNESS_TRY_ASSIGN(std::optional<std::string> overlap, string_at(j, "overlap"));
  if (overlap) {
    HARNESS_TRY_ASSIGN(s.overlap, parse_overlap(*overlap));
  }
  HARNESS_TRY_ASSIGN(std::optional<std::string> catch_up, string_at(j, "catch_up"));
  if (catch_up) {
    HARNESS_TRY_ASSIGN(s.catch_up, parse_catch_up(*catch_up));
  }
  HARNESS_TRY_ASSIGN(std::optional<std::int64_t> jitter, duration_at(j, "jitter"));
  if (jitter && *jitter > k_max_jitter_ms) return invalid("jitter", "must be at most 24h");
  s.jitter_ms = jitter.value_or(0);
  return {};
}

}  // namespace

Result<Schedule> schedule_from_json(const Json& j) {
  if (!j.is_object()) return make_error(ErrorCode::bad_request, "schedule: expected a JSON object");
  Schedule s;
  HARNESS_TRY_ASSIGN(std::optional<std::string> name, string_at(j, "name"));
  if (!name) return make_error(ErrorCode::invalid, "schedule: \"name\" is required");
  HARNESS_TRY(check_schedule_name(*name));
  s.name = *name;
  HARNESS_TRY(read_trigger(j, s));
  HARNESS_TRY(read_options(j, s));
  if (auto it = j.find("leaf"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return wrong_type("leaf", "an object (a submit body)");
    s.leaf = *it;
  }
  return s;
}

Json to_json(const Schedule& s) {
  return Json{{"name", s.name},
              {"cron", s.cron.empty() ? Json(nullptr) : Json(s.cron)},
              {"every", s.every_ms > 0 ? Json(format_duration(s.every_ms)) : Json(nullptr)},
              {"timezone", s.timezone},
              {"overlap", to_string(s.overlap)},
              {"catch_up", to_string(s.catch_up)},
              {"jitter", format_duration(s.jitter_ms)},
              {"leaf", s.leaf}};
}

}  // namespace harness::scheduler
