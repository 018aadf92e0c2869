// ScheduleStore conformance: every case runs against SQLite and against Redis (a real
// redis-server per case); both must answer the same. The scheduler's own cases on both stores
// are in tests/unit/daemon/schedule_runner_test.cpp.
#include "lib/store/schedule_store.hpp"

#include <tuple>

#include "lib/base/time.hpp"
#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;

namespace {

template <class B>
struct SchedFixture : BasicStoreFixture<B> {
  ScheduleStore& s() { return *this->store->schedules(); }
  Result<ScheduleRecord> put(const std::string& name, bool replace = false,
                             std::string owner = "uid:1") {
    ScheduleRecord rec;
    rec.name = name;
    rec.spec = model::Json{{"name", name}, {"every", "1s"}, {"leaf", {{"prompt", "p"}}}};
    rec.owner = std::move(owner);
    rec.created_by = model::Json{{"uid", 1}};
    rec.source = replace ? "config" : "api";
    rec.created_at = 1000;
    return this->template wait<ScheduleRecord>(
        [&](auto cb) { s().put_schedule(rec, replace, cb); });
  }
  Result<ScheduleRecord> get(const std::string& name) {
    return this->template wait<ScheduleRecord>([&](auto cb) { s().get_schedule(name, cb); });
  }
  Result<bool> claim(const std::string& name, TimeMs t, std::string state = "claimed",
                     bool manual = false) {
    Firing f;
    f.schedule = name;
    f.scheduled = t;
    f.state = std::move(state);
    f.manual = manual;
    return this->template wait<bool>([&](auto cb) { s().claim_firing(f, cb); });
  }
  Result<bool> update(const std::string& name, TimeMs t, std::string state, std::string leaf) {
    Firing f;
    f.schedule = name;
    f.scheduled = t;
    f.state = std::move(state);
    f.leaf_id = std::move(leaf);
    return this->template wait<bool>([&](auto cb) { s().update_firing(f, cb); });
  }
  std::vector<Firing> open() {
    auto r = this->template wait<std::vector<Firing>>([&](auto cb) { s().list_open_firings(cb); });
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return *r;
  }
};

}  // namespace

TEST_CASE_TEMPLATE("schedule store: put, conflict, replace keeps the runtime fields", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  SchedFixture<B> f;
  auto a = f.put("nightly");
  REQUIRE(a);
  CHECK(a->owner == "uid:1");
  CHECK(a->spec["every"] == "1s");
  CHECK(a->created_by["uid"] == 1);
  CHECK(a->created_at == 1000);
  CHECK_FALSE(a->paused);

  auto dup = f.put("nightly");
  REQUIRE_FALSE(dup);
  CHECK(dup.error().code == ErrorCode::conflict);

  REQUIRE(f.claim("nightly", 5000));
  REQUIRE(f.update("nightly", 5000, "submitted", "lf_1"));
  REQUIRE(f.template wait<ScheduleRecord>(
      [&](auto cb) { f.s().set_schedule_paused("nightly", true, cb); }));
  auto r = f.put("nightly", true, "config");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  CHECK(r->owner == "config");
  CHECK(r->source == "config");
  CHECK(r->paused);
  CHECK(r->last_fire == 5000);
  CHECK(r->last_leaf == "lf_1");
  CHECK(r->created_at == 1000);
  auto got = f.get("nightly");
  REQUIRE(got);
  CHECK(got->owner == "config");
  CHECK(got->last_leaf == "lf_1");
}

TEST_CASE_TEMPLATE("schedule store: get, list by name, delete", B, SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  SchedFixture<B> f;
  auto none = f.get("nope");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::not_found);
  for (std::string n : {"b", "a:x", "a", "c=1"}) REQUIRE(f.put(n));
  auto all =
      f.template wait<std::vector<ScheduleRecord>>([&](auto cb) { f.s().list_schedules(cb); });
  REQUIRE(all);
  std::vector<std::string> names;
  for (const auto& r : *all) names.push_back(r.name);
  CHECK(names == std::vector<std::string>{"a", "a:x", "b", "c=1"});

  REQUIRE(f.claim("a", 10));
  auto del = f.template wait<bool>([&](auto cb) { f.s().delete_schedule("a", cb); });
  REQUIRE(del);
  CHECK(f.open().empty());  // its firings went with it
  auto again = f.template wait<bool>([&](auto cb) { f.s().delete_schedule("a", cb); });
  REQUIRE_FALSE(again);
  CHECK(again.error().code == ErrorCode::not_found);
  REQUIRE(f.put("a"));
  auto c = f.claim("a", 10);  // a new schedule of the same name starts without firings
  REQUIRE(c);
  CHECK(*c);
  CHECK(f.get("a:x"));
}

TEST_CASE_TEMPLATE("schedule store: a time is claimed once; last_fire only rises", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  SchedFixture<B> f;
  REQUIRE(f.put("s"));
  auto unknown = f.claim("nope", 1);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == ErrorCode::not_found);

  auto first = f.claim("s", 2000);
  REQUIRE(first);
  CHECK(*first);
  auto second = f.claim("s", 2000, "skipped");
  REQUIRE(second);
  CHECK_FALSE(*second);
  CHECK(f.get("s")->last_fire == 2000);
  REQUIRE(f.claim("s", 1500, "skipped"));
  CHECK(f.get("s")->last_fire == 2000);
  REQUIRE(f.claim("s", 9000, "claimed", true));  // run-now: last_fire stays
  CHECK(f.get("s")->last_fire == 2000);

  auto open = f.open();
  REQUIRE(open.size() == 2);  // 2000 and 9000 (claimed); 1500 was skipped
  CHECK(open[0].schedule == "s");
  CHECK(open[0].state == "claimed");
  CHECK(open[0].created_at > 0);
}

TEST_CASE_TEMPLATE("schedule store: update_firing closes firings and sets last_leaf", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  SchedFixture<B> f;
  REQUIRE(f.put("s"));
  REQUIRE(f.put("t"));
  REQUIRE(f.claim("s", 1000));
  REQUIRE(f.claim("t", 3000, "waiting"));
  REQUIRE(f.claim("s", 2000));
  auto open = f.open();
  REQUIRE(open.size() == 3);
  for (size_t i = 1; i < open.size(); ++i)
    CHECK(std::tie(open[i - 1].created_at, open[i - 1].scheduled) <=
          std::tie(open[i].created_at, open[i].scheduled));

  REQUIRE(f.update("s", 1000, "submitted", "lf_a"));
  REQUIRE(f.update("t", 3000, "claimed", ""));
  REQUIRE(f.update("s", 7777, "submitted", ""));  // no such firing: nothing happens
  open = f.open();
  REQUIRE(open.size() == 2);
  for (const auto& o : open) {
    CHECK(o.state == "claimed");
    CHECK(o.leaf_id.empty());
    CHECK(o.scheduled != 1000);
  }
  CHECK(f.get("s")->last_leaf == "lf_a");
  CHECK(f.get("t")->last_leaf.empty());
}

TEST_CASE_TEMPLATE("schedule store: resuming raises last_fire to now", B, SqliteBackend,
                   RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  SchedFixture<B> f;
  REQUIRE(f.put("p"));
  auto paused =
      f.template wait<ScheduleRecord>([&](auto cb) { f.s().set_schedule_paused("p", true, cb); });
  REQUIRE(paused);
  CHECK(paused->paused);
  CHECK(paused->last_fire == 0);
  TimeMs before = now_ms();
  auto resumed =
      f.template wait<ScheduleRecord>([&](auto cb) { f.s().set_schedule_paused("p", false, cb); });
  REQUIRE(resumed);
  CHECK_FALSE(resumed->paused);
  CHECK(resumed->last_fire >= before);
  auto missing =
      f.template wait<ScheduleRecord>([&](auto cb) { f.s().set_schedule_paused("x", true, cb); });
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::not_found);
}

TEST_CASE_TEMPLATE("schedule store: a schedule named like a key of the layout is just a name", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  SchedFixture<B> f;
  for (std::string n : {"open", "schedules"}) REQUIRE(f.put(n));
  REQUIRE(f.claim("open", 1000));
  REQUIRE(f.claim("schedules", 2000, "waiting"));
  auto open = f.open();
  REQUIRE(open.size() == 2);
  REQUIRE(f.update("open", 1000, "submitted", "lf_x"));
  open = f.open();
  REQUIRE(open.size() == 1);
  CHECK(open[0].schedule == "schedules");
  CHECK(f.get("open")->last_leaf == "lf_x");
}
