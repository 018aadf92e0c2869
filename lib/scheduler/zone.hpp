#pragma once
// Time zones from the system's IANA database (TZif files under /usr/share/zoneinfo), read by
// our own reader: GCC 12's libstdc++ has no std::chrono::tzdb, and setenv("TZ")+localtime is
// process-global. A Zone is immutable once built: share it freely between threads.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/scheduler/posix_tz.hpp"

namespace harness::scheduler {

inline constexpr std::string_view k_zoneinfo_dir = "/usr/share/zoneinfo";

class Zone {
 public:
  // `table`: the offset changes in time order; `initial`: the offset before the first one;
  // `rule`: the offsets after the last one (none: the last offset stays).
  Zone(std::string name, std::vector<Transition> table, std::int32_t initial,
       std::optional<PosixTz> rule);
  // UTC, built in (needs no tz database).
  static Zone utc();

  const std::string& name() const { return m_name; }
  // Seconds east of UTC in effect at `utc_s` (UTC seconds since the epoch).
  std::int32_t offset_at(std::int64_t utc_s) const;
  // The last offset change at or before `utc_s`, if any.
  std::optional<Transition> transition_at_or_before(std::int64_t utc_s) const;
  // The first offset change after `utc_s`, if any.
  std::optional<Transition> transition_after(std::int64_t utc_s) const;

 private:
  struct RuleWindow {
    std::array<Transition, 6> items{};
    int count = 0;
  };
  // The rule's transitions of the years around `utc_s` that lie past the table.
  RuleWindow rule_window(std::int64_t utc_s) const;

  std::string m_name;
  std::vector<Transition> m_table;
  std::int32_t m_initial = 0;
  std::optional<PosixTz> m_rule;
};

// Checks that `name` looks like an IANA zone name ("Europe/Berlin", "Etc/GMT+5", "UTC"): no
// absolute path, no "." or ".." component. invalid naming it otherwise.
Status check_zone_name(std::string_view name);

// Loads zone `name` from `dir`. "UTC" is built in. Blocking (reads one small file): call it at
// start-up or off the loop. invalid "unknown time zone 'X'" when there is no such zone.
Result<Zone> load_zone(std::string_view name, std::string_view dir = k_zoneinfo_dir);

// Parses the bytes of a TZif file (RFC 8536, version 2 or later; the 64-bit data block and the
// footer rule). invalid with the reason when malformed.
Result<Zone> parse_tzif(std::string name, std::string_view data);

}  // namespace harness::scheduler
