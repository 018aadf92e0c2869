#include "lib/store/sqlite/schema.hpp"

#include <array>
#include <string>

namespace harness::store::sqlite {
namespace {

// Migration N (1-based) brings the schema from version N-1 to N. Never edit a shipped entry:
// append a new one. Leaf rows hold the API leaf JSON (model::to_json) as the projection of the
// session's events; the other leaf columns exist for filtering and ordering. Ids are sortable
// ULIDs, so "ORDER BY id" is creation order.
constexpr std::array<const char*, 2> k_migrations{{
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
    // 2: one row that ping() rewrites while writes fail, to learn when they work again.
    R"sql(
CREATE TABLE probe(
  id INTEGER PRIMARY KEY CHECK(id = 1),
  at INTEGER NOT NULL
);
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

Status migrate_to(Db& db, int version) {
  HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
  // Another process may have migrated while we waited for the write lock.
  HARNESS_TRY_ASSIGN(int current, user_version(db));
  if (current >= version) return {};
  HARNESS_TRY(db.exec(k_migrations[static_cast<size_t>(version - 1)]));
  HARNESS_TRY(db.exec("PRAGMA user_version = " + std::to_string(version)));
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
  for (int v = current + 1; v <= schema_version(); ++v) HARNESS_TRY(migrate_to(db, v));
  return {};
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
