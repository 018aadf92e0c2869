#pragma once
// A thin RAII layer over one sqlite3 connection: cached prepared statements, transactions, and
// SQLite result codes mapped onto our ErrorCode. Not thread-safe: a Db is used by one thread at
// a time (open_store on the caller's thread, then only the DB thread).

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "lib/base/result.hpp"

namespace harness::store::sqlite {

// Maps an SQLite result code to our error: busy/locked/I/O/full/corrupt -> unavailable,
// constraint -> conflict, anything else -> internal. The message is "what: sqlite's message".
Error sqlite_error(int rc, std::string_view what, sqlite3* db);

// A cached prepared statement borrowed from its Db; reset and unbound when this goes away.
// Bind indexes are 1-based, column indexes 0-based.
class Stmt {
 public:
  Stmt(sqlite3_stmt* s, sqlite3* db) : m_s(s), m_db(db) {}
  Stmt(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& bind(int i, std::string_view v);
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind_null(int i);
  // Binds NULL for an empty string (optional unique columns).
  Stmt& bind_or_null(int i, std::string_view v);
  // true: a row is ready; false: done. A bind failure is reported here.
  Result<bool> step();
  // Steps until done (statements without result rows).
  Status run();
  // Makes the statement ready to bind and run again.
  void reset();

  std::int64_t int64(int col) const;
  std::string text(int col) const;
  // Borrowed until the next step() or reset(): parse it, don't keep it.
  std::string_view text_view(int col) const;

 private:
  sqlite3_stmt* m_s = nullptr;
  sqlite3* m_db = nullptr;
  int m_bind_rc = SQLITE_OK;
};

class Db {
 public:
  // Opens (creating if missing) the database file. unavailable with the file name and
  // sqlite's reason when it cannot.
  static Result<Db> open(const std::string& path);
  Db() = default;
  Db(Db&& o) noexcept;
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() { close(); }

  // Runs one or more statements without results.
  Status exec(const std::string& sql);
  // A prepared statement for `sql`, compiled once per connection and cached. Do not hold two
  // Stmts of the same SQL at once.
  Result<Stmt> prepare(const std::string& sql);
  // An error for the connection's last failure.
  Error error(int rc, std::string_view what) const { return sqlite_error(rc, what, m_db); }
  // Finalizes cached statements and closes the connection; idempotent.
  void close();
  const std::string& path() const { return m_path; }

  // Group commit (DbThread): while a batch is open, every Tx is a savepoint inside the batch's
  // one transaction, and commit_batch() makes them all durable with one COMMIT (one fsync of
  // the WAL). begin_batch() takes the write lock (BEGIN IMMEDIATE).
  Status begin_batch();
  Status commit_batch();
  // Rolls back what is left of the batch (nothing if SQLite already did) and leaves batch mode.
  void rollback_batch();
  bool in_batch() const { return m_in_batch; }
  // false once SQLite has rolled the batch's transaction back by itself (disk full, I/O error):
  // the savepoints "committed" since are gone.
  bool batch_intact() const;
  // COMMITs that succeeded on this connection: with synchronous=FULL each is one fsync. And the
  // write transactions committed, each on its own or as a savepoint of a batch.
  std::int64_t commits() const { return m_commits; }
  std::int64_t transactions() const { return m_transactions; }
  void count_commit(bool savepoint) {
    ++m_transactions;
    if (!savepoint) ++m_commits;
  }

 private:
  sqlite3* m_db = nullptr;
  std::string m_path;
  std::unordered_map<std::string, sqlite3_stmt*> m_cache;
  bool m_in_batch = false;
  std::int64_t m_commits = 0;
  std::int64_t m_transactions = 0;
};

// A transaction that rolls back unless commit() succeeded. Writes use BEGIN IMMEDIATE so the
// write lock is taken up front (no upgrade deadlocks with other processes on the file). Inside
// a batch it is a savepoint: commit() releases it, a rollback undoes this Tx's writes only.
class Tx {
 public:
  static Result<Tx> begin(Db& db, bool write);
  Tx(Tx&& o) noexcept
      : m_db(std::exchange(o.m_db, nullptr)), m_savepoint(o.m_savepoint), m_write(o.m_write) {}
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  Tx& operator=(Tx&&) = delete;
  ~Tx();
  Status commit();

 private:
  Tx(Db* db, bool savepoint, bool write) : m_db(db), m_savepoint(savepoint), m_write(write) {}
  Db* m_db = nullptr;
  bool m_savepoint = false;
  bool m_write = false;
};

}  // namespace harness::store::sqlite
