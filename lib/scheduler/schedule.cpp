#include "lib/scheduler/schedule.hpp"

#include <array>
#include <utility>

namespace harness::scheduler {
namespace {

constexpr std::array<std::pair<Overlap, std::string_view>, 3> k_overlaps{{
    {Overlap::skip, "skip"},
    {Overlap::queue, "queue"},
    {Overlap::allow, "allow"},
}};
constexpr std::array<std::pair<CatchUp, std::string_view>, 2> k_catch_ups{{
    {CatchUp::none, "none"},
    {CatchUp::once, "once"},
}};

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

}  // namespace

std::string_view to_string(Overlap o) {
  for (auto& [v, name] : k_overlaps)
    if (v == o) return name;
  return "skip";
}

std::string_view to_string(CatchUp c) {
  for (auto& [v, name] : k_catch_ups)
    if (v == c) return name;
  return "none";
}

Result<Overlap> parse_overlap(std::string_view s) {
  for (auto& [v, name] : k_overlaps)
    if (name == s) return v;
  return make_error(ErrorCode::invalid, "overlap must be \"skip\", \"queue\" or \"allow\"");
}

Result<CatchUp> parse_catch_up(std::string_view s) {
  for (auto& [v, name] : k_catch_ups)
    if (name == s) return v;
  return make_error(ErrorCode::invalid, "catch_up must be \"none\" or \"once\"");
}

Status check_schedule_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name_char(name.front()) && name.front() != '.' &&
            name.front() != '_' && name.front() != '-';
  for (char c : name) ok = ok && name_char(c);
  if (ok) return {};
  return make_error(ErrorCode::invalid,
                    "schedule name must be 1-64 letters, digits, '.', '_' or '-', starting with "
                    "a letter or digit");
}

Result<Trigger> make_trigger(const Schedule& s, std::string_view zoneinfo_dir) {
  Trigger t;
  if (s.cron.empty()) {
    if (s.every_ms <= 0)
      return make_error(ErrorCode::invalid, "a schedule needs \"cron\" or \"every\"");
    t.every_ms = s.every_ms;
    return t;
  }
  HARNESS_TRY_ASSIGN(t.cron, parse_cron(s.cron));
  HARNESS_TRY_ASSIGN(Zone zone, load_zone(s.timezone, zoneinfo_dir));
  t.zone = std::make_shared<const Zone>(std::move(zone));
  return t;
}

}  // namespace harness::scheduler
