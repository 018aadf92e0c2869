#pragma once
// Schedules and firings (ScheduleStore) as blocking functions on one connection; DB thread only.

#include <string>
#include <vector>

#include "lib/store/schedule_store.hpp"
#include "lib/store/sqlite/db.hpp"

namespace harness::store::sqlite {

// Same contracts as the ScheduleStore methods of the same name.
Result<ScheduleRecord> put_schedule(Db& db, const ScheduleRecord& rec, bool replace);
Result<ScheduleRecord> get_schedule(Db& db, const std::string& name);
Result<std::vector<ScheduleRecord>> list_schedules(Db& db);
Result<bool> delete_schedule(Db& db, const std::string& name);
Result<ScheduleRecord> set_schedule_paused(Db& db, const std::string& name, bool paused);
Result<bool> claim_firing(Db& db, const Firing& f);
Result<bool> update_firing(Db& db, const Firing& f);
Result<std::vector<Firing>> list_open_firings(Db& db);

}  // namespace harness::store::sqlite
