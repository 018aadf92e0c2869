// Schedules and firings. Each write is one BEGIN IMMEDIATE transaction: claim_firing's insert
// of the firing row and its raise of last_fire commit together or not at all, and the primary
// key (schedule, scheduled) makes a second claim of the same time find the row and back off.
#include "lib/store/sqlite/ops_schedules.hpp"

#include "lib/base/json_dump.hpp"
#include "lib/base/time.hpp"

namespace harness::store::sqlite {
namespace {

constexpr const char* k_columns =
    "name, spec, owner, created_by, source, paused, created_at, last_fire, last_leaf";

model::Json parse_or_null(std::string_view text) {
  model::Json j = model::Json::parse(text, nullptr, false);
  return j.is_discarded() ? model::Json(nullptr) : j;
}

ScheduleRecord read_record(const Stmt& st) {
  ScheduleRecord r;
  r.name = st.text(0);
  r.spec = parse_or_null(st.text_view(1));
  r.owner = st.text(2);
  r.created_by = parse_or_null(st.text_view(3));
  r.source = st.text(4);
  r.paused = st.int64(5) != 0;
  r.created_at = st.int64(6);
  r.last_fire = st.int64(7);
  r.last_leaf = st.text(8);
  return r;
}

Error no_schedule(const std::string& name) {
  return make_error(ErrorCode::not_found, "no such schedule " + name);
}

Result<std::optional<ScheduleRecord>> find(Db& db, const std::string& name) {
  HARNESS_TRY_ASSIGN(
      Stmt st, db.prepare(std::string("SELECT ") + k_columns + " FROM schedules WHERE name = ?"));
  st.bind(1, name);
  HARNESS_TRY_ASSIGN(bool row, st.step());
  if (!row) return std::optional<ScheduleRecord>();
  return std::optional<ScheduleRecord>(read_record(st));
}

}  // namespace

Result<ScheduleRecord> put_schedule(Db& db, const ScheduleRecord& rec, bool replace) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  HARNESS_TRY_ASSIGN(std::optional<ScheduleRecord> old, find(db, rec.name));
  ScheduleRecord out = rec;
  if (old) {
    if (!replace)
      return make_error(ErrorCode::conflict,
                        "schedule " + rec.name + " exists; remove it first (schedule rm)");
    out.paused = old->paused;
    out.created_at = old->created_at;
    out.last_fire = old->last_fire;
    out.last_leaf = old->last_leaf;
  }
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare(std::string("INSERT OR REPLACE INTO schedules(") +
                                         k_columns + ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.bind(1, out.name)
      .bind(2, dump_json(out.spec))
      .bind(3, out.owner)
      .bind(4, dump_json(out.created_by))
      .bind(5, out.source)
      .bind(6, std::int64_t{out.paused ? 1 : 0})
      .bind(7, out.created_at)
      .bind(8, out.last_fire)
      .bind(9, out.last_leaf);
  HARNESS_TRY(st.run());
  HARNESS_TRY(tx.commit());
  return out;
}

Result<ScheduleRecord> get_schedule(Db& db, const std::string& name) {
  HARNESS_TRY_ASSIGN(std::optional<ScheduleRecord> r, find(db, name));
  if (!r) return no_schedule(name);
  return std::move(*r);
}

Result<std::vector<ScheduleRecord>> list_schedules(Db& db) {
  HARNESS_TRY_ASSIGN(
      Stmt st, db.prepare(std::string("SELECT ") + k_columns + " FROM schedules ORDER BY name"));
  std::vector<ScheduleRecord> out;
  while (true) {
    HARNESS_TRY_ASSIGN(bool row, st.step());
    if (!row) break;
    out.push_back(read_record(st));
  }
  return out;
}

Result<bool> delete_schedule(Db& db, const std::string& name) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  HARNESS_TRY_ASSIGN(std::optional<ScheduleRecord> old, find(db, name));
  if (!old) return no_schedule(name);
  {
    HARNESS_TRY_ASSIGN(Stmt st, db.prepare("DELETE FROM schedule_firings WHERE schedule = ?"));
    HARNESS_TRY(st.bind(1, name).run());
  }
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("DELETE FROM schedules WHERE name = ?"));
  HARNESS_TRY(st.bind(1, name).run());
  HARNESS_TRY(tx.commit());
  return true;
}

Result<ScheduleRecord> set_schedule_paused(Db& db, const std::string& name, bool paused) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  HARNESS_TRY_ASSIGN(std::optional<ScheduleRecord> old, find(db, name));
  if (!old) return no_schedule(name);
  // Resuming moves last_fire to now: the times that passed while paused are not "missed".
  TimeMs last = paused ? old->last_fire : std::max(old->last_fire, now_ms());
  HARNESS_TRY_ASSIGN(Stmt st,
                     db.prepare("UPDATE schedules SET paused = ?, last_fire = ? WHERE name = ?"));
  HARNESS_TRY(st.bind(1, std::int64_t{paused ? 1 : 0}).bind(2, last).bind(3, name).run());
  HARNESS_TRY(tx.commit());
  old->paused = paused;
  old->last_fire = last;
  return std::move(*old);
}

Result<bool> claim_firing(Db& db, const Firing& f) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  HARNESS_TRY_ASSIGN(std::optional<ScheduleRecord> sched, find(db, f.schedule));
  if (!sched) return no_schedule(f.schedule);
  {
    HARNESS_TRY_ASSIGN(Stmt st, db.prepare("INSERT OR IGNORE INTO schedule_firings(schedule, "
                                           "scheduled, state, leaf, created_at) "
                                           "VALUES(?, ?, ?, ?, ?)"));
    HARNESS_TRY(st.bind(1, f.schedule)
                    .bind(2, f.scheduled)
                    .bind(3, f.state)
                    .bind(4, f.leaf_id)
                    .bind(5, now_ms())
                    .run());
  }
  std::int64_t inserted = 0;
  {
    HARNESS_TRY_ASSIGN(Stmt changed, db.prepare("SELECT changes()"));
    HARNESS_TRY_ASSIGN(bool row, changed.step());
    inserted = row ? changed.int64(0) : 0;
  }
  if (inserted == 0) return false;  // the row exists: rolled back, nothing was written
  if (f.manual) {
    HARNESS_TRY(tx.commit());
    return true;
  }
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("UPDATE schedules SET last_fire = MAX(last_fire, ?) "
                                         "WHERE name = ?"));
  HARNESS_TRY(st.bind(1, f.scheduled).bind(2, f.schedule).run());
  HARNESS_TRY(tx.commit());
  return true;
}

Result<bool> update_firing(Db& db, const Firing& f) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  {
    HARNESS_TRY_ASSIGN(Stmt st, db.prepare("UPDATE schedule_firings SET state = ?, leaf = ? "
                                           "WHERE schedule = ? AND scheduled = ?"));
    HARNESS_TRY(
        st.bind(1, f.state).bind(2, f.leaf_id).bind(3, f.schedule).bind(4, f.scheduled).run());
  }
  if (!f.leaf_id.empty()) {
    HARNESS_TRY_ASSIGN(Stmt st, db.prepare("UPDATE schedules SET last_leaf = ? WHERE name = ?"));
    HARNESS_TRY(st.bind(1, f.leaf_id).bind(2, f.schedule).run());
  }
  HARNESS_TRY(tx.commit());
  return true;
}

Result<std::vector<Firing>> list_open_firings(Db& db) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("SELECT schedule, scheduled, state, leaf, created_at "
                                         "FROM schedule_firings WHERE state IN ('claimed', "
                                         "'waiting') ORDER BY created_at, scheduled"));
  std::vector<Firing> out;
  while (true) {
    HARNESS_TRY_ASSIGN(bool row, st.step());
    if (!row) break;
    out.push_back(Firing{st.text(0), st.int64(1), st.text(2), st.text(3), st.int64(4)});
  }
  return out;
}

}  // namespace harness::store::sqlite
