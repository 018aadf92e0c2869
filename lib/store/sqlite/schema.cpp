#include "lib/store/sqlite/schema.hpp"

#include <array>
#include <string>

namespace harness::store::sqlite {
namespace {

// Migration N (1-based) brings the schema from version N-1 to N. Never edit a shipped entry:
// append a new one. Leaf rows hold the API leaf JSON (model::to_json) as the projection of the
// session's events; the other leaf columns exist for filtering and ordering. Ids are sortable
// ULIDs, so "ORDER BY id" is creation order.
constexpr std::array<const char*, 4> k_migrations{{
    R"sql(
CREATE TABLE sessions(
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  last_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE events(
  session TEXT NOT NULL REFERENCES sessions(id),
  seq INTEGER NOT NULL,
  leaf TEXT NOT NULL,
  type TEXT NOT NULL,
  ts INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY(session, seq)
) WITHOUT ROWID;
CREATE INDEX events_by_leaf ON events(leaf, seq);
CREATE TABLE leaves(
  id TEXT PRIMARY KEY,
  session TEXT NOT NULL REFERENCES sessions(id),
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  idempotency_key TEXT UNIQUE,
  row TEXT NOT NULL
);
CREATE INDEX leaves_by_state ON leaves(state, id);
CREATE INDEX leaves_by_session ON leaves(session, id);
CREATE TABLE leaf_labels(
  leaf TEXT NOT NULL REFERENCES leaves(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(key, value, leaf)
) WITHOUT ROWID;
)sql",
    // Sessions have owners; idempotency keys are per submitter and remember the request's hash
    // (docs/security.md). The old global `idempotency_key` column is no longer written. Leaves
    // of older stores get the owner from their submitted_by; a session belongs to whoever
    // submitted its first leaf.
    R"sql(
ALTER TABLE sessions ADD COLUMN owner TEXT;
ALTER TABLE leaves ADD COLUMN owner TEXT;
ALTER TABLE leaves ADD COLUMN idem_scope TEXT;
ALTER TABLE leaves ADD COLUMN idem_key TEXT;
ALTER TABLE leaves ADD COLUMN idem_hash TEXT;
UPDATE leaves SET owner = CASE
  WHEN json_extract(row, '$.submitted_by.transport') = 'tcp'
    THEN 'token:' || json_extract(row, '$.submitted_by.name')
  WHEN json_extract(row, '$.submitted_by.uid') IS NOT NULL
    THEN 'uid:' || json_extract(row, '$.submitted_by.uid')
  WHEN json_extract(row, '$.submitted_by.name') IS NOT NULL
    THEN 'user:' || json_extract(row, '$.submitted_by.name')
  END;
UPDATE leaves SET idem_scope = owner, idem_key = idempotency_key, idempotency_key = NULL
  WHERE idempotency_key IS NOT NULL;
UPDATE sessions SET owner =
  (SELECT owner FROM leaves WHERE leaves.session = sessions.id ORDER BY id LIMIT 1);
UPDATE leaves SET owner = (SELECT owner FROM sessions WHERE sessions.id = leaves.session);
UPDATE leaves SET row = json_set(row, '$.owner', owner) WHERE owner IS NOT NULL;
CREATE UNIQUE INDEX leaves_by_idempotency ON leaves(idem_scope, idem_key)
  WHERE idem_key IS NOT NULL;
CREATE INDEX leaves_by_owner ON leaves(owner, id);
)sql",
    // 3: one row that ping() rewrites while writes fail, to learn when they work again.
    R"sql(
CREATE TABLE probe(
  id INTEGER PRIMARY KEY CHECK(id = 1),
  at INTEGER NOT NULL
);
)sql",
    // 4: schedules (issue 10): the spec as JSON plus what the scheduler reads; one row per firing,
    // keyed by its scheduled time, so a time fires once (docs/schedules.md "Exactly once").
    R"sql(
CREATE TABLE schedules(
  name TEXT PRIMARY KEY,
  spec TEXT NOT NULL,
  owner TEXT NOT NULL,
  created_by TEXT NOT NULL,
  source TEXT NOT NULL,
  paused INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_fire INTEGER NOT NULL,
  last_leaf TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE schedule_firings(
  schedule TEXT NOT NULL REFERENCES schedules(name) ON DELETE CASCADE,
  scheduled INTEGER NOT NULL,
  state TEXT NOT NULL,
  leaf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY(schedule, scheduled)
) WITHOUT ROWID;
CREATE INDEX schedule_firings_open ON schedule_firings(state, created_at)
  WHERE state IN ('claimed', 'waiting');
)sql",
}};

Error in_file(const Db& db, Error e) {
  e.message = "store " + db.path() + ": " + e.message;
  return e;
}

Result<int> user_version(Db& db) {
  HARNESS_TRY_ASSIGN(Stmt st, db.prepare("PRAGMA user_version"));
  HARNESS_TRY_ASSIGN(bool row, st.step());
  return row ? static_cast<int>(st.int64(0)) : 0;
}

// Every pending migration in one transaction: one COMMIT (one fsync) for a fresh database, and
// an upgrade is all or nothing.
Status migrate(Db& db) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  // Another process may have migrated while we waited for the write lock.
  HARNESS_TRY_ASSIGN(int current, user_version(db));
  if (current >= schema_version()) return {};
  for (int v = current + 1; v <= schema_version(); ++v)
    HARNESS_TRY(db.exec(k_migrations[static_cast<size_t>(v - 1)]));
  HARNESS_TRY(db.exec("PRAGMA user_version = " + std::to_string(schema_version())));
  return tx.commit();
}

Status set_pragmas(Db& db) {
  // journal_mode answers with a row; exec() ignores it. WAL is persistent in the file.
  HARNESS_TRY(db.exec("PRAGMA journal_mode=WAL"));
  return db.exec("PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON");
}

Status prepare_unlabelled(Db& db) {
  HARNESS_TRY(set_pragmas(db));
  HARNESS_TRY_ASSIGN(int current, user_version(db));
  if (current > schema_version())
    return make_error(ErrorCode::unavailable, "schema version " + std::to_string(current) +
                                                  " is newer than this harnessd supports (" +
                                                  std::to_string(schema_version()) +
                                                  "); upgrade harnessd");
  if (current == schema_version()) return {};
  return migrate(db);
}

}  // namespace

int schema_version() {
  return static_cast<int>(k_migrations.size());
}

Status prepare_database(Db& db) {
  Status s = prepare_unlabelled(db);
  if (!s) {
    Error e = in_file(db, s.error());
    if (e.code == ErrorCode::internal) e.code = ErrorCode::unavailable;
    return e;
  }
  return {};
}

}  // namespace harness::store::sqlite
