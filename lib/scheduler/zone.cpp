#include "lib/scheduler/zone.hpp"

#include <algorithm>
#include <limits>

#include "lib/base/fs.hpp"
#include "lib/scheduler/civil.hpp"

namespace harness::scheduler {

Zone::Zone(std::string name, std::vector<Transition> table, std::int32_t initial,
           std::optional<PosixTz> rule)
    : m_name(std::move(name)), m_table(std::move(table)), m_initial(initial), m_rule(rule) {
  if (m_rule && !m_rule->has_dst) m_rule.reset();  // a fixed offset adds no transitions
}

Zone Zone::utc() {
  return Zone("UTC", {}, 0, std::nullopt);
}

// Three years of rule transitions are enough for both lookups: a year always has its two
// (or none). Transitions at the same instant (rules that keep daylight time all year end
// one year where the next begins) merge, and no-op changes drop out.
Zone::RuleWindow Zone::rule_window(std::int64_t utc_s) const {
  RuleWindow w;
  const std::int64_t floor =
      m_table.empty() ? std::numeric_limits<std::int64_t>::min() : m_table.back().at;
  const std::int64_t year = civil_from_seconds(utc_s).year;
  for (std::int64_t y = year - 1; y <= year + 1; ++y) {
    YearTransitions yt = posix_transitions(*m_rule, y);
    for (int i = 0; i < yt.count; ++i) {
      const Transition& t = yt.items[static_cast<std::size_t>(i)];
      if (t.at <= floor) continue;
      if (w.count > 0 && w.items[static_cast<std::size_t>(w.count - 1)].at == t.at) {
        w.items[static_cast<std::size_t>(w.count - 1)].after = t.after;
      } else {
        w.items[static_cast<std::size_t>(w.count++)] = t;
      }
    }
  }
  int kept = 0;
  for (int i = 0; i < w.count; ++i) {
    Transition t = w.items[static_cast<std::size_t>(i)];
    if (kept > 0) t.before = w.items[static_cast<std::size_t>(kept - 1)].after;
    if (t.before != t.after) w.items[static_cast<std::size_t>(kept++)] = t;
  }
  w.count = kept;
  return w;
}

std::optional<Transition> Zone::transition_at_or_before(std::int64_t utc_s) const {
  if (m_rule && (m_table.empty() || utc_s > m_table.back().at)) {
    RuleWindow w = rule_window(utc_s);
    for (int i = w.count - 1; i >= 0; --i)
      if (w.items[static_cast<std::size_t>(i)].at <= utc_s)
        return w.items[static_cast<std::size_t>(i)];
  }
  auto it = std::upper_bound(m_table.begin(), m_table.end(), utc_s,
                             [](std::int64_t t, const Transition& tr) { return t < tr.at; });
  if (it == m_table.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<Transition> Zone::transition_after(std::int64_t utc_s) const {
  if (!m_table.empty() && utc_s < m_table.back().at) {
    return *std::upper_bound(m_table.begin(), m_table.end(), utc_s,
                             [](std::int64_t t, const Transition& tr) { return t < tr.at; });
  }
  if (!m_rule) return std::nullopt;
  RuleWindow w = rule_window(utc_s);
  for (int i = 0; i < w.count; ++i)
    if (w.items[static_cast<std::size_t>(i)].at > utc_s)
      return w.items[static_cast<std::size_t>(i)];
  return std::nullopt;
}

std::int32_t Zone::offset_at(std::int64_t utc_s) const {
  std::optional<Transition> t = transition_at_or_before(utc_s);
  return t ? t->after : m_initial;
}

namespace {

bool zone_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '+' || c == '-';
}

// The name for a message: printable ASCII only, so it is safe in any JSON answer.
std::string shown(std::string_view name) {
  std::string out(name.substr(0, 128));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return out;
}

}  // namespace

Status check_zone_name(std::string_view name) {
  auto bad = [&](std::string_view why) {
    return make_error(ErrorCode::invalid, "invalid time zone '" + shown(name) +
                                              "': " + std::string(why) +
                                              " (expected an IANA name like Europe/Berlin)");
  };
  if (name.empty()) return bad("empty");
  if (name.size() > 128) return bad("too long");
  if (name.front() == '/') return bad("an absolute path");
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = std::min(name.find('/', start), name.size());
    std::string_view part = name.substr(start, end - start);
    if (part.empty()) return bad("empty path component");
    if (!std::all_of(part.begin(), part.end(), zone_char))
      return bad("only letters, digits, '_', '+', '-' and '/' are allowed");
    start = end + 1;
  }
  return {};
}

Result<Zone> load_zone(std::string_view name, std::string_view dir) {
  HARNESS_TRY(check_zone_name(name));
  if (name == "UTC") return Zone::utc();
  Result<std::string> data = read_file(std::string(dir) + "/" + std::string(name), 1u << 20);
  if (!data || data->compare(0, 4, "TZif") != 0)
    return make_error(ErrorCode::invalid, "unknown time zone '" + shown(name) + "'");
  Result<Zone> zone = parse_tzif(std::string(name), *data);
  if (!zone)
    return make_error(ErrorCode::invalid,
                      "time zone '" + shown(name) + "': " + zone.error().message);
  return zone;
}

}  // namespace harness::scheduler
