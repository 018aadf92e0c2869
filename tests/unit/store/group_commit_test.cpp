// Group commit in the SQLite DB thread: jobs queued together share one transaction, each is told
// its result only once that transaction is durable, and a batch that cannot commit is run again
// job by job.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "lib/store/sqlite/db_thread.hpp"
#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store::sqlite;
using harness::store::test::TempDir;

namespace {

struct Outcomes {
  std::mutex mu;
  std::vector<std::string> delivered;  // "x=N ok" or "x=N <error code>", in delivery order
  int runs = 0;                        // job executions, including re-runs
  void add(std::string s) {
    std::lock_guard lock(mu);
    delivered.push_back(std::move(s));
  }
};

Db open_table(const std::string& path) {
  auto db = Db::open(path);
  REQUIRE(db.has_value());
  REQUIRE(
      db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
               "CREATE TABLE t(x INTEGER PRIMARY KEY)"));
  return std::move(*db);
}

// A job inserting x in its own transaction; its delivery records the outcome.
DbThread::Job insert_job(Outcomes& out, int x) {
  return [&out, x](Db& db) -> DbThread::Delivery {
    {
      std::lock_guard lock(out.mu);
      ++out.runs;
    }
    Status s = [&]() -> Status {
      HARNESS_TRY_ASSIGN(Tx tx, Tx::begin(db, true));
      HARNESS_TRY_ASSIGN(Stmt st, db.prepare("INSERT INTO t(x) VALUES(?)"));
      HARNESS_TRY(st.bind(1, std::int64_t{x}).run());
      return tx.commit();
    }();
    std::string what =
        "x=" + std::to_string(x) + (s ? " ok" : " " + std::string(to_string(s.error().code)));
    return [&out, what] { out.add(what); };
  };
}

// Holds the thread until released, so that the jobs pushed meanwhile form one batch.
struct Blocker {
  std::promise<void> started, go;
  void hold(DbThread& t) {
    t.push([this](Db&) -> DbThread::Delivery {
      started.set_value();
      go.get_future().wait();
      return [] {};
    });
    started.get_future().wait();
  }
};

void wait_delivered(Outcomes& out, std::size_t n) {
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(out.mu);
      if (out.delivered.size() >= n) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  FAIL("deliveries did not arrive");
}

// Runs `fn` on the DB thread after everything pushed so far and waits for it.
template <class F>
auto on_thread(DbThread& t, F fn) {
  std::promise<decltype(fn(std::declval<Db&>()))> p;
  auto f = p.get_future();
  t.push([&](Db& db) -> DbThread::Delivery {
    p.set_value(fn(db));
    return [] {};
  });
  return f.get();
}

std::int64_t rows_seen_by_another_connection(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  std::int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

}  // namespace

TEST_CASE("group commit: writes queued together are one transaction, told only once durable") {
  TempDir dir;
  std::string path = dir.path + "/gc.db";
  Outcomes out;
  DbThread t(open_table(path));
  Blocker b;
  b.hold(t);
  for (int x = 1; x <= 10; ++x) t.push(insert_job(out, x));
  t.push(insert_job(out, 3));  // a conflict inside the batch fails that job only
  // The first delivery checks, from another connection, that the batch is already committed.
  std::int64_t seen_at_first_delivery = -1;
  t.push([&](Db&) -> DbThread::Delivery {
    return [&] { seen_at_first_delivery = rows_seen_by_another_connection(path); };
  });
  b.go.set_value();
  wait_delivered(out, 11);

  std::int64_t commits = on_thread(t, [](Db& db) { return db.commits(); });
  CHECK(commits == 1);  // 10 inserts, one COMMIT (one fsync)
  CHECK(seen_at_first_delivery == 10);
  CHECK(rows_seen_by_another_connection(path) == 10);
  REQUIRE(out.delivered.size() == 11);
  for (int x = 1; x <= 10; ++x) CHECK(out.delivered[x - 1] == "x=" + std::to_string(x) + " ok");
  CHECK(out.delivered[10] == "x=3 conflict");
  CHECK(out.runs == 11);
  t.stop([] {});
  t.join();
}

TEST_CASE("group commit: a batch SQLite rolled back is run again job by job, each delivered once") {
  TempDir dir;
  std::string path = dir.path + "/gc.db";
  Outcomes out;
  DbThread t(open_table(path));
  Blocker b;
  b.hold(t);
  t.push(insert_job(out, 1));
  t.push(insert_job(out, 2));
  // What SQLite does by itself on a full disk or an I/O error: the whole transaction is gone.
  t.push([](Db& db) -> DbThread::Delivery {
    (void)db.exec("ROLLBACK");
    return [] {};
  });
  t.push(insert_job(out, 3));
  b.go.set_value();
  wait_delivered(out, 3);

  std::int64_t commits = on_thread(t, [](Db& db) { return db.commits(); });
  CHECK(commits == 3);  // after the failed batch, each insert committed on its own
  CHECK(rows_seen_by_another_connection(path) == 3);
  CHECK(out.delivered == std::vector<std::string>{"x=1 ok", "x=2 ok", "x=3 ok"});
  CHECK(out.runs == 5);  // 1 and 2 ran in the lost batch and again alone; 3 only alone
  t.stop([] {});
  t.join();
}
