// Upgrading a store written before sessions had owners (schema 1).
#include <sqlite3.h>

#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;

namespace {

// Schema 1 as shipped, with one unix leaf carrying an idempotency key and one TCP leaf.
constexpr const char* k_v1 = R"sql(
CREATE TABLE sessions(id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, last_seq INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE events(session TEXT NOT NULL REFERENCES sessions(id), seq INTEGER NOT NULL,
  leaf TEXT NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY(session, seq)) WITHOUT ROWID;
CREATE INDEX events_by_leaf ON events(leaf, seq);
CREATE TABLE leaves(id TEXT PRIMARY KEY, session TEXT NOT NULL REFERENCES sessions(id),
  state TEXT NOT NULL, created_at INTEGER NOT NULL, idempotency_key TEXT UNIQUE, row TEXT NOT NULL);
CREATE INDEX leaves_by_state ON leaves(state, id);
CREATE INDEX leaves_by_session ON leaves(session, id);
CREATE TABLE leaf_labels(leaf TEXT NOT NULL REFERENCES leaves(id), key TEXT NOT NULL,
  value TEXT NOT NULL, PRIMARY KEY(key, value, leaf)) WITHOUT ROWID;
INSERT INTO sessions VALUES('ses_01AAAAAAAAAAAAAAAAAAAAAAAA', 1, 1);
INSERT INTO sessions VALUES('ses_01BBBBBBBBBBBBBBBBBBBBBBBB', 1, 1);
INSERT INTO events VALUES('ses_01AAAAAAAAAAAAAAAAAAAAAAAA', 1, 'lf_01AAAAAAAAAAAAAAAAAAAAAAAA',
  'leaf_submitted', 1, '{"prompt":"old"}');
INSERT INTO leaves VALUES('lf_01AAAAAAAAAAAAAAAAAAAAAAAA', 'ses_01AAAAAAAAAAAAAAAAAAAAAAAA',
  'succeeded', 1, 'key-1', '{"id":"lf_01AAAAAAAAAAAAAAAAAAAAAAAA","session":
  "ses_01AAAAAAAAAAAAAAAAAAAAAAAA","state":"succeeded","prompt":"old","idempotency_key":"key-1",
  "submitted_by":{"name":"alice","uid":1001,"transport":"unix"}}');
INSERT INTO leaves VALUES('lf_01BBBBBBBBBBBBBBBBBBBBBBBB', 'ses_01BBBBBBBBBBBBBBBBBBBBBBBB',
  'succeeded', 1, NULL, '{"id":"lf_01BBBBBBBBBBBBBBBBBBBBBBBB","session":
  "ses_01BBBBBBBBBBBBBBBBBBBBBBBB","state":"succeeded","prompt":"ci",
  "submitted_by":{"name":"ci","uid":null,"transport":"tcp"}}');
PRAGMA user_version = 1;
)sql";

}  // namespace

TEST_CASE("store migration: leaves and sessions of an old store get owners, keys keep working") {
  TempDir dir;
  std::string path = dir.path + "/harness.db";
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, k_v1, nullptr, nullptr, &err);
  CHECK_MESSAGE(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);

  StoreFixture f;
  f.store->close([] {});
  uv_run(&f.loop, UV_RUN_DEFAULT);
  auto r = open_store(&f.loop, "sqlite:" + path);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  f.store = std::move(*r);

  auto alice = f.get_leaf("lf_01AAAAAAAAAAAAAAAAAAAAAAAA");
  REQUIRE(alice.has_value());
  CHECK(alice->spec.owner == "uid:1001");
  auto ci = f.get_leaf("lf_01BBBBBBBBBBBBBBBBBBBBBBBB");
  REQUIRE(ci.has_value());
  CHECK(ci->spec.owner == "token:ci");
  auto ses = f.session("ses_01AAAAAAAAAAAAAAAAAAAAAAAA");
  REQUIRE(ses.has_value());
  CHECK(ses->owner == "uid:1001");

  LeafFilter mine;
  mine.owner = "uid:1001";
  auto page = f.list(mine);
  REQUIRE(page.has_value());
  REQUIRE(page->leaves.size() == 1);
  CHECK(page->leaves[0].id == alice->id);

  // The old key now belongs to its submitter; without a stored hash any body replays it.
  SubmitRequest again;
  again.leaf_id = new_id("lf_");
  again.session_id = new_id("ses_");
  again.spec = spec("old");
  again.spec.idempotency_key = "key-1";
  again.idempotency_scope = "uid:1001";
  again.request_hash = "whatever";
  auto replay = f.wait<SubmitResult>([&](auto cb) { f.store->submit(again, cb); });
  REQUIRE(replay.has_value());
  CHECK_FALSE(replay->created);
  CHECK(replay->leaf.id == alice->id);
  again.idempotency_scope = "uid:1002";
  auto fresh = f.wait<SubmitResult>([&](auto cb) { f.store->submit(again, cb); });
  REQUIRE(fresh.has_value());
  CHECK(fresh->created);
}
