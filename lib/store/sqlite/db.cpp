#include "lib/store/sqlite/db.hpp"

#include <utility>

#include "lib/base/assert.hpp"

namespace harness::store::sqlite {

Error sqlite_error(int rc, std::string_view what, sqlite3* db) {
  ErrorCode code = ErrorCode::internal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_PERM:
      code = ErrorCode::unavailable;
      break;
    case SQLITE_CONSTRAINT:
      code = ErrorCode::conflict;
      break;
    default:
      break;
  }
  const char* why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return make_error(code, std::string(what) + ": " + why);
}

Stmt::Stmt(Stmt&& o) noexcept
    : m_s(std::exchange(o.m_s, nullptr)), m_db(o.m_db), m_bind_rc(o.m_bind_rc) {}

Stmt::~Stmt() {
  if (m_s) reset();
}

Stmt& Stmt::bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text64(m_s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (m_bind_rc == SQLITE_OK) m_bind_rc = rc;
  return *this;
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  int rc = sqlite3_bind_int64(m_s, i, v);
  if (m_bind_rc == SQLITE_OK) m_bind_rc = rc;
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  int rc = sqlite3_bind_null(m_s, i);
  if (m_bind_rc == SQLITE_OK) m_bind_rc = rc;
  return *this;
}

Stmt& Stmt::bind_or_null(int i, std::string_view v) {
  return v.empty() ? bind_null(i) : bind(i, v);
}

Result<bool> Stmt::step() {
  if (m_bind_rc != SQLITE_OK) return sqlite_error(m_bind_rc, "cannot bind a value", m_db);
  int rc = sqlite3_step(m_s);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(rc, "database error", m_db);
}

Status Stmt::run() {
  for (;;) {
    HARNESS_TRY_ASSIGN(bool row, step());
    if (!row) return {};
  }
}

void Stmt::reset() {
  sqlite3_reset(m_s);
  sqlite3_clear_bindings(m_s);
  m_bind_rc = SQLITE_OK;
}

std::int64_t Stmt::int64(int col) const {
  return sqlite3_column_int64(m_s, col);
}

std::string Stmt::text(int col) const {
  return std::string(text_view(col));
}

std::string_view Stmt::text_view(int col) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_s, col));
  if (!p) return {};
  return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(m_s, col)));
}

Result<Db> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sqlite_error(rc, "cannot open store file " + path, raw);
    e.code = ErrorCode::unavailable;
    sqlite3_close(raw);
    return e;
  }
  Db db;
  db.m_db = raw;
  db.m_path = path;
  return db;
}

Db::Db(Db&& o) noexcept
    : m_db(std::exchange(o.m_db, nullptr)),
      m_path(std::move(o.m_path)),
      m_cache(std::move(o.m_cache)),
      m_in_batch(std::exchange(o.m_in_batch, false)),
      m_commits(o.m_commits),
      m_transactions(o.m_transactions) {
  o.m_cache.clear();
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    close();
    m_db = std::exchange(o.m_db, nullptr);
    m_path = std::move(o.m_path);
    m_cache = std::move(o.m_cache);
    o.m_cache.clear();
    m_in_batch = std::exchange(o.m_in_batch, false);
    m_commits = o.m_commits;
    m_transactions = o.m_transactions;
  }
  return *this;
}

Status Db::exec(const std::string& sql) {
  int rc = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, "database error");
  return {};
}

Result<Stmt> Db::prepare(const std::string& sql) {
  auto it = m_cache.find(sql);
  if (it != m_cache.end()) return Stmt(it->second, m_db);
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(m_db, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) return error(rc, "cannot prepare a statement");
  m_cache.emplace(sql, s);
  return Stmt(s, m_db);
}

void Db::close() {
  for (auto& [sql, s] : m_cache) sqlite3_finalize(s);
  m_cache.clear();
  if (m_db) sqlite3_close(std::exchange(m_db, nullptr));
}

Status Db::begin_batch() {
  HARNESS_ASSERT(!m_in_batch);
  HARNESS_TRY(exec("BEGIN IMMEDIATE"));
  m_in_batch = true;
  return {};
}

Status Db::commit_batch() {
  HARNESS_ASSERT(m_in_batch);
  HARNESS_TRY(exec("COMMIT"));
  m_in_batch = false;
  ++m_commits;
  return {};
}

void Db::rollback_batch() {
  if (!sqlite3_get_autocommit(m_db)) (void)exec("ROLLBACK");
  m_in_batch = false;
}

bool Db::batch_intact() const {
  return m_in_batch && !sqlite3_get_autocommit(m_db);
}

Result<Tx> Tx::begin(Db& db, bool write) {
  if (db.in_batch()) {
    HARNESS_TRY(db.exec("SAVEPOINT tx"));
    return Tx(&db, true, write);
  }
  HARNESS_TRY(db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Tx(&db, false, write);
}

Tx::~Tx() {
  if (!m_db) return;
  // Inside a batch SQLite may have rolled the whole transaction back already; then these fail
  // harmlessly and the batch notices (batch_intact()).
  (void)m_db->exec(m_savepoint ? "ROLLBACK TO tx; RELEASE tx" : "ROLLBACK");
}

Status Tx::commit() {
  HARNESS_TRY(m_db->exec(m_savepoint ? "RELEASE tx" : "COMMIT"));
  if (m_write) m_db->count_commit(m_savepoint);
  m_db = nullptr;
  return {};
}

}  // namespace harness::store::sqlite
