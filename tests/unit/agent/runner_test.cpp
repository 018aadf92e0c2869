// LeafRunner on a real loop, a real SQLite store and a replay model (no HTTP, no sandbox): how a
// failure inside a leaf's continuation, and the crash-loop guard, end that leaf.
#include "lib/agent/runner.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "lib/http/client.hpp"
#include "tests/unit/store/store_fixture.hpp"

namespace harness::agent {
namespace {

using model::LeafState;

// The SQLite store, except that appends of one event type fail with `error` while `failing`.
class FlakyStore final : public store::Store {
 public:
  explicit FlakyStore(store::Store& inner) : m_inner(inner) {}
  std::string fail_type;
  Error error{ErrorCode::unavailable, "store x.db: database or disk is full"};
  bool failing = false;
  int refused = 0;

  void append(std::string id, std::vector<model::EventDraft> drafts,
              store::Callback<store::AppendResult> cb) override {
    if (failing && !drafts.empty() && drafts[0].type == fail_type) {
      ++refused;
      // Like the real store: the answer comes later, never inside the call.
      return m_inner.ping([cb, e = error](Result<bool>) { cb(e); });
    }
    m_inner.append(std::move(id), std::move(drafts), std::move(cb));
  }
  void submit(store::SubmitRequest r, store::Callback<store::SubmitResult> cb) override {
    m_inner.submit(std::move(r), std::move(cb));
  }
  void get_leaf(std::string id, store::Callback<model::Leaf> cb) override {
    m_inner.get_leaf(std::move(id), std::move(cb));
  }
  void list_leaves(store::LeafFilter f, store::Callback<store::LeafPage> cb) override {
    m_inner.list_leaves(std::move(f), std::move(cb));
  }
  void read_events(store::EventQuery q, store::Callback<std::vector<model::Event>> cb) override {
    m_inner.read_events(std::move(q), std::move(cb));
  }
  void get_session(std::string id, store::Callback<model::Session> cb) override {
    m_inner.get_session(std::move(id), std::move(cb));
  }
  void list_unfinished(store::Callback<std::vector<model::Leaf>> cb) override {
    m_inner.list_unfinished(std::move(cb));
  }
  void register_node(store::NodeRequest r, store::Callback<bool> cb) override {
    m_inner.register_node(std::move(r), std::move(cb));
  }
  void claim(store::ClaimRequest r, store::Callback<store::ClaimResult> cb) override {
    m_inner.claim(std::move(r), std::move(cb));
  }
  void release(std::string id, store::Callback<bool> cb) override {
    m_inner.release(std::move(id), std::move(cb));
  }
  void ping(store::Callback<bool> cb) override { m_inner.ping(std::move(cb)); }
  void pod_lease(store::PodLeaseRequest r, store::Callback<std::vector<std::string>> cb) override {
    m_inner.pod_lease(std::move(r), std::move(cb));
  }
  void durability(store::Callback<store::Durability> cb) override {
    m_inner.durability(std::move(cb));
  }
  void close(std::function<void()> done) override { m_inner.close(std::move(done)); }

 private:
  store::Store& m_inner;
};

struct RunnerFixture {
  store::test::StoreFixture db;
  FlakyStore flaky{*db.store};
  std::unique_ptr<Journal> journal = std::make_unique<Journal>(flaky);
  std::unique_ptr<http::HttpClient> http = std::make_unique<http::HttpClient>(&db.loop);
  std::unique_ptr<model_api::ModelClient> models =
      std::make_unique<model_api::ModelClient>(&db.loop, *http);
  config::Config cfg;
  std::vector<std::string> steps;  // every continuation entered, in order

  RunnerFixture() {
    std::string replay = db.backend.dir.path + "/replay.json";
    std::ofstream(replay) << R"({"responses": [{"text": "all done"}]})";
    model::ModelProfile m;
    m.name = "default";
    m.provider = "replay";
    m.file = replay;
    cfg.models["default"] = m;
    model::SandboxProfile sb;
    sb.name = "default";
    cfg.sandboxes["default"] = sb;
  }
  ~RunnerFixture() {
    models->close();
    http->close();
  }

  // Runs `leaf` until its runner is done; returns the leaf as stored then. `meanwhile` runs
  // after each loop iteration.
  model::Leaf run(const model::Leaf& leaf, StartKind how,
                  std::function<void(std::string_view step)> fault = nullptr,
                  std::function<void()> meanwhile = nullptr) {
    AgentContext ctx{&db.loop, std::make_shared<const config::Config>(cfg), journal.get(),
                     models.get(), nullptr};
    ctx.on_continue = [this, fault](const std::string&, std::string_view step) {
      steps.emplace_back(step);
      if (fault) fault(step);
    };
    bool done = false;
    auto runner = std::make_shared<LeafRunner>(ctx, leaf, [&](const std::string&) { done = true; });
    runner->start(how);
    while (!done) {
      uv_run(&db.loop, UV_RUN_ONCE);
      if (meanwhile) meanwhile();
    }
    auto stored = db.get_leaf(leaf.id);
    REQUIRE(stored.has_value());
    return *stored;
  }
};

TEST_CASE("runner: a leaf runs to its answer through guarded continuations") {
  RunnerFixture f;
  auto leaf = f.run(f.db.leaf("hello"), StartKind::fresh);
  CHECK(leaf.state == LeafState::succeeded);
  CHECK(leaf.result == std::optional<std::string>("all done"));
  CHECK(std::find(f.steps.begin(), f.steps.end(), "after model_response") != f.steps.end());
}

TEST_CASE("runner: an exception inside a continuation fails that leaf, internal, with its text") {
  RunnerFixture f;
  auto leaf = f.run(f.db.leaf("boom"), StartKind::fresh, [](std::string_view step) {
    if (step == "after model_response") throw std::runtime_error("injected type_error");
  });
  CHECK(leaf.state == LeafState::failed);
  CHECK(leaf.reason == "internal");
  CHECK(leaf.message == "internal error after model_response: injected type_error");
  // The loop goes on: another leaf runs normally afterwards.
  CHECK(f.run(f.db.leaf("next"), StartKind::fresh).state == LeafState::succeeded);
}

TEST_CASE("runner: a failed assertion inside a continuation fails the leaf, not the process") {
  RunnerFixture f;
  auto leaf = f.run(f.db.leaf("assert"), StartKind::fresh,
                    [](std::string_view step) { HARNESS_ASSERT(step != "after the model call"); });
  CHECK(leaf.state == LeafState::failed);
  CHECK(leaf.reason == "internal");
  CHECK(leaf.message.find("assertion failed: step != \"after the model call\"") !=
        std::string::npos);
}

TEST_CASE("runner: a throw while the leaf is already ending still frees the runner") {
  RunnerFixture f;
  auto leaf = f.run(f.db.leaf("end"), StartKind::fresh, [](std::string_view step) {
    if (step == "recording the leaf's end") throw std::runtime_error("late");
  });
  // The end was persisted before the continuation ran; the runner was released regardless.
  CHECK(leaf.state == LeafState::succeeded);
}

int count_events(store::test::StoreFixture& db, const model::Leaf& leaf, std::string_view type) {
  auto events = db.events(leaf.session, leaf.id);
  REQUIRE(events.has_value());
  return static_cast<int>(
      std::count_if(events->begin(), events->end(), [&](const auto& e) { return e.type == type; }));
}

TEST_CASE("runner: a write the store refuses for now is retried until it works, then goes on") {
  RunnerFixture f;
  f.flaky.fail_type = "model_response";
  f.flaky.failing = true;
  model::Leaf submitted = f.db.leaf("disk full");
  std::optional<model::Leaf> stalled;
  auto leaf = f.run(submitted, StartKind::fresh, nullptr, [&] {
    if (!f.flaky.failing || f.flaky.refused < 3) return;
    // Three refusals later the leaf is still running, waiting; then the disk has room again.
    stalled = *f.db.get_leaf(submitted.id);
    f.flaky.failing = false;
  });
  REQUIRE(stalled);
  CHECK(stalled->state == LeafState::running);
  CHECK(leaf.state == LeafState::succeeded);
  CHECK(leaf.result == std::optional<std::string>("all done"));
  CHECK(f.flaky.refused >= 3);
  CHECK(count_events(f.db, leaf, "model_response") == 1);
}

TEST_CASE("runner: a write refused for good fails the leaf internal; a conflict just stops it") {
  RunnerFixture f;
  f.flaky.fail_type = "model_response";
  f.flaky.failing = true;
  f.flaky.error = Error{ErrorCode::internal, "corrupt leaf row in the store"};
  auto leaf = f.run(f.db.leaf("broken"), StartKind::fresh);
  CHECK(leaf.state == LeafState::failed);
  CHECK(leaf.reason == "internal");
  CHECK(leaf.message == "cannot persist model_response: corrupt leaf row in the store");
  CHECK(f.flaky.refused == 1);

  f.flaky.refused = 0;
  f.flaky.error = Error{ErrorCode::conflict, "leaf is already cancelled"};
  auto stopped = f.run(f.db.leaf("cancelled meanwhile"), StartKind::fresh);
  CHECK(stopped.state == LeafState::running);  // nothing more written by this runner
  CHECK(f.flaky.refused == 1);
}

model::Leaf with_crashed_recoveries(store::test::StoreFixture& db, int n) {
  model::Leaf leaf = db.leaf("crashy");
  REQUIRE(db.append(leaf.id, {store::test::draft("leaf_started")}).has_value());
  for (int i = 0; i < n; ++i) {
    auto r =
        db.append(leaf.id, {store::test::draft("leaf_recovered", model::Json{{"after", "crash"}})});
    REQUIRE(r.has_value());
    leaf = r->leaf;
  }
  CHECK(leaf.crashed_recoveries == n);
  return leaf;
}

TEST_CASE("runner: a leaf whose recoveries crashed the daemon 3 times is quarantined") {
  RunnerFixture f;
  auto leaf = f.run(with_crashed_recoveries(f.db, 3), StartKind::after_crash);
  CHECK(leaf.state == LeafState::failed);
  CHECK(leaf.reason == "internal");
  CHECK(leaf.message.starts_with("quarantined after 3 crashed recoveries"));
  CHECK(f.models->in_flight() == 0);
  auto events = f.db.events(leaf.session, leaf.id);
  REQUIRE(events.has_value());
  for (const auto& e : *events) CHECK(e.type != "model_response");
}

TEST_CASE("runner: two crashed recoveries, or a clean shutdown, still recover the leaf") {
  RunnerFixture f;
  auto twice = f.run(with_crashed_recoveries(f.db, 2), StartKind::after_crash);
  CHECK(twice.state == LeafState::succeeded);
  auto after_shutdown = f.run(with_crashed_recoveries(f.db, 3), StartKind::after_shutdown);
  CHECK(after_shutdown.state == LeafState::succeeded);
}

}  // namespace
}  // namespace harness::agent
