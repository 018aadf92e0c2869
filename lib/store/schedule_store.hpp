#pragma once
// Schedules and their firings in the store (issue 10). A schedule is kept as its JSON (the
// scheduler's codec, lib/scheduler/schedule.hpp) plus the columns the scheduler needs; a firing
// is a row keyed by (schedule, scheduled time), written atomically before its leaf is
// submitted, so one scheduled time fires once across restarts and across schedulers sharing a
// store. Same thread rules as Store: loop thread only, callbacks later on the loop thread.

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/json.hpp"
#include "lib/store/store.hpp"

namespace harness::store {

struct ScheduleRecord {
  std::string name;
  model::Json spec = model::Json::object();  // scheduler::to_json(Schedule)
  std::string owner;                         // like a session's: "uid:N" | "token:NAME"
  model::Json created_by;                    // the caller's JSON, used as the leaves' submitter
  std::string source = "api";                // "api" | "config"
  bool paused = false;
  TimeMs created_at = 0;
  TimeMs last_fire = 0;   // the latest scheduled time handled (fired, skipped or queued); 0 = none
  std::string last_leaf;  // the leaf of the latest firing that submitted one; "" = none
};

// Firing states: claimed (row written, leaf not yet submitted), submitted (leaf_id set),
// skipped (overlap = skip found the previous leaf unfinished), waiting (overlap = queue: to be
// submitted when the previous leaf ends).
struct Firing {
  std::string schedule;
  TimeMs scheduled = 0;  // the firing's identity; run-now firings use the time of the request
  std::string state;
  std::string leaf_id;
  TimeMs created_at = 0;
  bool manual = false;  // run-now: claiming it does not move the schedule's last_fire
};

class ScheduleStore {
 public:
  virtual ~ScheduleStore() = default;
  // Creates the schedule. conflict when one of that name exists, unless `replace` (config
  // schedules at start-up): then its spec, owner and source are replaced and its paused flag,
  // last_fire and last_leaf kept.
  virtual void put_schedule(ScheduleRecord rec, bool replace, Callback<ScheduleRecord> cb) = 0;
  // not_found for an unknown name.
  virtual void get_schedule(std::string name, Callback<ScheduleRecord> cb) = 0;
  // Every schedule, by name.
  virtual void list_schedules(Callback<std::vector<ScheduleRecord>> cb) = 0;
  // Removes the schedule and its firings (its leaves stay). not_found for an unknown name.
  virtual void delete_schedule(std::string name, Callback<bool> cb) = 0;
  // not_found for an unknown name. Answers the record after the change.
  virtual void set_schedule_paused(std::string name, bool paused, Callback<ScheduleRecord> cb) = 0;
  // Writes the firing row (schedule, scheduled) with `state` and raises the schedule's
  // last_fire to `scheduled`, atomically. Answers false, writing nothing, when that row exists
  // already (another scheduler, or an earlier run, has it). not_found for an unknown schedule.
  virtual void claim_firing(Firing f, Callback<bool> cb) = 0;
  // Sets the firing's state and leaf (and the schedule's last_leaf when a leaf is given).
  virtual void update_firing(Firing f, Callback<bool> cb) = 0;
  // Firings in state claimed or waiting, oldest first: what a scheduler must finish.
  virtual void list_open_firings(Callback<std::vector<Firing>> cb) = 0;
};

}  // namespace harness::store
