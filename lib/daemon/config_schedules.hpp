#pragma once
// [schedules.NAME] of the config as store records: owner "config", source "config". Checked
// like POST /v1/schedules (cron with its column, zone, leaf template), so a broken schedule stops
// harnessd at start-up naming the section. Blocking (reads prompt files and zone files): call it
// at start-up, before the loop serves requests.

#include <functional>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/store/schedule_store.hpp"

namespace harness::daemon {

inline constexpr std::string_view k_config_owner = "config";

// The records, or invalid naming [schedules.NAME] (and where it was declared) and the problem.
Result<std::vector<store::ScheduleRecord>> config_schedules(const config::Config& cfg, TimeMs now);

// Stores `records` (replacing their specs, keeping paused and last firing) and removes the
// schedules of source "config" that the config no longer has. Loop thread; `done` on the loop
// with the first error, if any.
void sync_config_schedules(store::ScheduleStore& store, std::vector<store::ScheduleRecord> records,
                           std::function<void(Status)> done);

}  // namespace harness::daemon
