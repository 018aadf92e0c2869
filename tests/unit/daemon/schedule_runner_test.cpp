// The scheduler on a real store and a real loop, time from a ManualClock: firings are claimed
// once (also by two runners racing on one store), overlap and catch-up hold, and a claimed
// firing that was never submitted is submitted again with the same identity. Every case runs
// on SQLite and on Redis (a real redis-server): the ScheduleStore conformance suite.
#include "lib/daemon/schedule_runner.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "lib/store/schedule_store.hpp"
#include "tests/unit/store/store_fixture.hpp"

namespace harness::daemon {
namespace {
using store::ScheduleRecord;

constexpr TimeMs k_t0 = 1'800'000'000'000;  // a round second

template <class B>
struct Harness : store::test::BasicStoreFixture<B> {
  ManualClock clock{k_t0};
  std::vector<std::pair<std::string, TimeMs>> fired;  // leaves created, in order
  int submits = 0;                                    // FireFn calls (retries included)
  bool fail_submits = false;

  // Submits a real leaf, idempotent per firing like the daemon's.
  FireFn fire_fn() {
    return [this](const ScheduleRecord& rec, TimeMs scheduled,
                  std::function<void(Result<std::string>)> done) {
      ++submits;
      if (fail_submits) return done(make_error(ErrorCode::unavailable, "store down"));
      std::string key = rec.name + "@" + std::to_string(scheduled);
      store::SubmitRequest req;
      req.leaf_id = new_id("lf_");
      req.session_id = new_id("ses_");
      req.spec = store::test::spec(key, {{"schedule", rec.name}});
      req.spec.idempotency_key = key;
      req.idempotency_scope = "schedule:" + rec.name;
      req.request_hash = key;
      this->store->submit(req, [this, rec, scheduled, done](Result<store::SubmitResult> r) {
        if (!r) return done(r.error());
        if (r->created) fired.emplace_back(rec.name, scheduled);
        done(r->leaf.id);
      });
    };
  }

  store::ScheduleStore& sched() { return *this->store->schedules(); }

  ScheduleRecord put(const std::string& name, model::Json extra) {
    model::Json spec{{"name", name}, {"leaf", {{"prompt", "p"}}}};
    for (auto& [k, v] : extra.items()) spec[k] = v;
    ScheduleRecord rec;
    rec.name = name;
    rec.spec = spec;
    rec.owner = "uid:1";
    rec.created_at = clock.now_ms();
    auto r =
        this->template wait<ScheduleRecord>([&](auto cb) { sched().put_schedule(rec, false, cb); });
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return *r;
  }

  // One pass of each runner, all started at once and run to completion on the loop.
  void pass(const std::vector<ScheduleRunner*>& runners) {
    int left = static_cast<int>(runners.size());
    for (auto* r : runners) r->tick([&] { --left; });
    while (left > 0) uv_run(&this->loop, UV_RUN_ONCE);
  }
  // Lets work queued off the loop (building triggers) finish.
  void settle() {
    for (int i = 0; i < 20; ++i) {
      uv_run(&this->loop, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // The first pass only starts building the triggers.
  void warm(const std::vector<ScheduleRunner*>& runners) {
    pass(runners);
    settle();
  }
  void finish_leaf(const std::string& id) {
    REQUIRE(this->append(id, {store::test::draft("leaf_started")}));
    REQUIRE(
        this->append(id, {model::finished_event(model::LeafState::succeeded, "completed", "")}));
  }
  std::string last_leaf(const std::string& name) {
    auto r = this->template wait<ScheduleRecord>([&](auto cb) { sched().get_schedule(name, cb); });
    REQUIRE(r);
    return r->last_leaf;
  }
};

ScheduleRunnerOptions fast() {
  ScheduleRunnerOptions o;
  o.grace_ms = 1'000;
  o.resubmit_after_ms = 0;
  return o;
}

}  // namespace

TEST_CASE_TEMPLATE("scheduler: an every schedule fires each time once, in order", B,
                   store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  Harness<B> h;
  ScheduleRunner r(&h.loop, *h.store, h.clock, h.fire_fn(), fast());
  h.put("tick", {{"every", "10s"}, {"overlap", "allow"}});
  h.warm({&r});
  CHECK(h.fired.empty());  // created at k_t0: nothing is due yet
  for (int i = 1; i <= 5; ++i) {
    h.clock.advance(10'000);
    h.pass({&r});
    h.pass({&r});  // a second pass at the same time fires nothing more
  }
  REQUIRE(h.fired.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(h.fired[i].second == k_t0 + (i + 1) * 10'000);
}

TEST_CASE_TEMPLATE("scheduler: two runners racing on one store never fire a time twice", B,
                   store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  Harness<B> h;
  ScheduleRunnerOptions o = fast();
  o.resubmit_after_ms = 60'000;  // what matters here is the claim, not the crash retry
  ScheduleRunner a(&h.loop, *h.store, h.clock, h.fire_fn(), o);
  ScheduleRunner b(&h.loop, *h.store, h.clock, h.fire_fn(), o);
  h.put("race", {{"every", "1s"}, {"overlap", "allow"}});
  h.put("race2", {{"every", "3s"}, {"overlap", "allow"}});
  h.warm({&a, &b});
  for (int i = 0; i < 30; ++i) {
    h.clock.advance(1'000);
    h.pass({&a, &b});
  }
  std::set<std::pair<std::string, TimeMs>> seen;
  for (const auto& f : h.fired) CHECK_MESSAGE(seen.insert(f).second, f.first << "@" << f.second);
  CHECK(std::count_if(h.fired.begin(), h.fired.end(), [](auto& f) { return f.first == "race"; }) ==
        30);
  CHECK(std::count_if(h.fired.begin(), h.fired.end(), [](auto& f) { return f.first == "race2"; }) ==
        10);
  CHECK(h.submits == static_cast<int>(h.fired.size()));  // the loser of a claim never submits
}

TEST_CASE_TEMPLATE("scheduler: overlap skip starts nothing while the previous leaf runs", B,
                   store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  Harness<B> h;
  ScheduleRunner r(&h.loop, *h.store, h.clock, h.fire_fn(), fast());
  h.put("slow", {{"every", "1s"}});
  h.warm({&r});
  h.clock.advance(1'000);
  h.pass({&r});
  REQUIRE(h.fired.size() == 1);
  for (int i = 0; i < 3; ++i) {
    h.clock.advance(1'000);
    h.pass({&r});
  }
  CHECK(h.fired.size() == 1);  // skipped while the first one is unfinished
  h.finish_leaf(h.last_leaf("slow"));
  h.clock.advance(1'000);
  h.pass({&r});
  CHECK(h.fired.size() == 2);
}

TEST_CASE_TEMPLATE("scheduler: overlap queue starts one waiting firing when the previous leaf ends",
                   B, store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  Harness<B> h;
  ScheduleRunner r(&h.loop, *h.store, h.clock, h.fire_fn(), fast());
  h.put("q", {{"every", "1s"}, {"overlap", "queue"}});
  h.warm({&r});
  h.clock.advance(1'000);
  h.pass({&r});
  REQUIRE(h.fired.size() == 1);
  for (int i = 0; i < 3; ++i) {
    h.clock.advance(1'000);
    h.pass({&r});
  }
  CHECK(h.fired.size() == 1);
  h.finish_leaf(h.last_leaf("q"));
  h.pass({&r});  // no clock move: the waiting firing (the first time it waited for) runs
  REQUIRE(h.fired.size() == 2);
  CHECK(h.fired[1].second == k_t0 + 2'000);
}

TEST_CASE_TEMPLATE("scheduler: catch_up after downtime: none fires nothing, once fires the latest",
                   B, store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  for (std::string mode : {"none", "once"}) {
    CAPTURE(mode);
    Harness<B> h;
    ScheduleRunner r(&h.loop, *h.store, h.clock, h.fire_fn(), fast());
    h.put("c", {{"every", "10s"}, {"catch_up", mode}, {"overlap", "allow"}});
    h.warm({&r});
    h.clock.advance(10'000);
    h.pass({&r});
    REQUIRE(h.fired.size() == 1);
    h.clock.advance(45'000);  // "down" over 4 times; the latest (k_t0+50s) is 5 s old
    h.pass({&r});
    if (mode == "none") {
      CHECK(h.fired.size() == 1);
    } else {
      REQUIRE(h.fired.size() == 2);
      CHECK(h.fired[1].second == k_t0 + 50'000);
    }
    h.clock.advance(5'000);  // the next time is on time under either mode
    h.pass({&r});
    CHECK(h.fired.back().second == k_t0 + 60'000);
  }
}

TEST_CASE_TEMPLATE("scheduler: a claimed firing whose submit failed is submitted again, once", B,
                   store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  Harness<B> h;
  ScheduleRunner r(&h.loop, *h.store, h.clock, h.fire_fn(), fast());
  h.put("retry", {{"every", "10s"}});
  h.warm({&r});
  h.fail_submits = true;
  h.clock.advance(10'000);
  h.pass({&r});
  CHECK(h.fired.empty());
  h.fail_submits = false;
  h.pass({&r});  // same clock: only the open firing is retried
  REQUIRE(h.fired.size() == 1);
  CHECK(h.fired[0].second == k_t0 + 10'000);
  h.pass({&r});
  CHECK(h.fired.size() == 1);
}

TEST_CASE_TEMPLATE("scheduler: paused schedules do not fire; resuming does not catch up", B,
                   store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  Harness<B> h;
  ScheduleRunner r(&h.loop, *h.store, h.clock, h.fire_fn(), fast());
  h.put("p", {{"every", "1s"}, {"overlap", "allow"}, {"catch_up", "once"}});
  h.warm({&r});
  REQUIRE(h.template wait<ScheduleRecord>(
      [&](auto cb) { h.sched().set_schedule_paused("p", true, cb); }));
  for (int i = 0; i < 3; ++i) {
    h.clock.advance(1'000);
    h.pass({&r});
  }
  CHECK(h.fired.empty());
  // set_schedule_paused stamps resume with the store's wall clock, far from the ManualClock:
  // what matters here is that a resumed schedule fires again.
  h.clock.set(now_ms());
  REQUIRE(h.template wait<ScheduleRecord>(
      [&](auto cb) { h.sched().set_schedule_paused("p", false, cb); }));
  h.clock.advance(2'000);
  h.pass({&r});
  CHECK(h.fired.size() == 1);
}

TEST_CASE_TEMPLATE("scheduler: run-now fires at once and leaves the schedule's times alone", B,
                   store::test::SqliteBackend, store::test::RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  Harness<B> h;
  ScheduleRunner r(&h.loop, *h.store, h.clock, h.fire_fn(), fast());
  ScheduleRecord rec = h.put("n", {{"every", "1h"}});
  auto leaf = h.template wait<std::string>([&](auto cb) { r.run_now(rec, cb); });
  REQUIRE_MESSAGE(leaf, (leaf ? "" : leaf.error().message));
  REQUIRE(h.fired.size() == 1);
  auto after = h.template wait<ScheduleRecord>([&](auto cb) { h.sched().get_schedule("n", cb); });
  REQUIRE(after);
  CHECK(after->last_fire == 0);
  CHECK(after->last_leaf == *leaf);
}

}  // namespace harness::daemon
