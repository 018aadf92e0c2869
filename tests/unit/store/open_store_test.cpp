#include <sqlite3.h>

#include <fstream>

#include "lib/store/sqlite/schema.hpp"
#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;

namespace {
int user_version(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

void set_user_version(const std::string& path, int v) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string sql = "PRAGMA user_version = " + std::to_string(v);
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

Error open_error(const std::string& url) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  auto r = open_store(&loop, url);
  REQUIRE_FALSE(r.has_value());
  CHECK(uv_loop_close(&loop) == 0);
  return r.error();
}
}  // namespace

TEST_CASE("open_store: migrates once and refuses a newer schema") {
  StoreFixture f;
  f.close();
  CHECK(user_version(f.backend.db_path()) == sqlite::schema_version());
  f.reopen();
  f.close();
  CHECK(user_version(f.backend.db_path()) == sqlite::schema_version());

  set_user_version(f.backend.db_path(), sqlite::schema_version() + 1);
  Error e = open_error("sqlite:" + f.backend.db_path());
  CHECK(e.code == ErrorCode::unavailable);
  CHECK(e.message.find(f.backend.db_path()) != std::string::npos);
  CHECK(e.message.find("newer") != std::string::npos);
}

TEST_CASE("open_store: accepts bare paths and sqlite:// URLs") {
  TempDir dir;
  for (std::string url : {dir.path + "/a.db", "sqlite://" + dir.path + "/b.db"}) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    auto r = open_store(&loop, url);
    REQUIRE_MESSAGE(r.has_value(), url);
    bool done = false;
    (*r)->close([&] { done = true; });
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(done);
    r->reset();
    CHECK(uv_loop_close(&loop) == 0);
  }
  CHECK(std::filesystem::exists(dir.path + "/a.db"));
  CHECK(std::filesystem::exists(dir.path + "/b.db"));
}

TEST_CASE("open_store: clear errors for bad URLs and unusable files") {
  TempDir dir;
  Error no_dir = open_error("sqlite:" + dir.path + "/missing/harness.db");
  CHECK(no_dir.code == ErrorCode::unavailable);
  CHECK(no_dir.message.find(dir.path + "/missing/harness.db") != std::string::npos);

  std::string junk = dir.path + "/junk.db";
  std::ofstream(junk) << std::string(4096, 'x');
  Error not_db = open_error(junk);
  CHECK(not_db.code == ErrorCode::unavailable);
  CHECK(not_db.message.find("junk.db") != std::string::npos);
  CHECK(not_db.message.find("not a database") != std::string::npos);

  Error tls = open_error("rediss://u:hunter22@localhost:6379/0");
  CHECK(tls.code == ErrorCode::invalid);
  CHECK(tls.message.find("TLS") != std::string::npos);
  CHECK(tls.message.find("hunter22") == std::string::npos);
  CHECK(open_error("redis://localhost:99999/0").code == ErrorCode::invalid);
  CHECK(open_error("ftp://example.com/x").code == ErrorCode::invalid);
  CHECK(open_error("").code == ErrorCode::invalid);
}
