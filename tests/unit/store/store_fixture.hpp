#pragma once
// A real store on a real libuv loop, with helpers that issue one call and run the loop until
// its callback has run. Backends: SqliteBackend (a fresh temp dir) and RedisBackend (a fresh
// redis-server, see redis_server.hpp). Test (= loop) thread only.

#include <doctest/doctest.h>
#include <uv.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "lib/base/ids.hpp"
#include "lib/store/store.hpp"
#include "tests/unit/store/redis_server.hpp"

namespace harness::store::test {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "harness-store-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

struct SqliteBackend {
  static bool available() { return true; }
  static std::string missing() { return {}; }
  TempDir dir;
  std::string db_path() const { return dir.path + "/harness.db"; }
  std::string url() const { return "sqlite:" + db_path(); }
};

struct RedisBackend {
  static bool available() { return !RedisServer::binary().empty(); }
  static std::string missing() { return "redis-server is not installed (scripts/install-deps.sh)"; }
  RedisServer server;
  std::string url() const { return server.url(); }
};

// Ends the test (with a message saying why) when the backend cannot run on this machine.
// TODO(#9): switch to the project's prerequisite-skip macro (fails in CI mode) once it lands.
#define HARNESS_SKIP_UNLESS_BACKEND(B)                   \
  if (!B::available()) {                                 \
    MESSAGE("SKIPPED (prerequisite): " << B::missing()); \
    return;                                              \
  }

inline model::LeafSpec spec(std::string prompt, std::map<std::string, std::string> labels = {}) {
  model::LeafSpec s;
  s.prompt = std::move(prompt);
  s.labels = std::move(labels);
  return s;
}

inline model::EventDraft draft(std::string type, model::Json data = model::Json::object()) {
  return model::EventDraft{std::move(type), std::move(data)};
}

template <class Backend>
struct BasicStoreFixture {
  Backend backend;
  uv_loop_t loop{};
  std::unique_ptr<Store> store;
  std::thread::id loop_thread = std::this_thread::get_id();
  bool callbacks_on_loop_thread = true;

  BasicStoreFixture() {
    uv_loop_init(&loop);
    reopen();
  }
  ~BasicStoreFixture() {
    if (store) close();
    CHECK(uv_loop_close(&loop) == 0);
  }

  void reopen(const StoreOptions& options = {}) { store = open(backend.url(), options); }

  // Another store on the same loop and data (closed by the caller through close_other).
  std::unique_ptr<Store> open(const std::string& url, const StoreOptions& options = {}) {
    auto r = open_store(&loop, url, options);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
    return std::move(*r);
  }

  // close(), then run the loop until nothing is left: the store must let it exit.
  void close() {
    bool done = false;
    store->close([&] { done = true; });
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(done);
    store.reset();
  }
  // Closes a second store while `store` stays open (so the loop cannot run dry).
  void close_other(std::unique_ptr<Store>& s) {
    bool done = false;
    s->close([&] { done = true; });
    while (!done) uv_run(&loop, UV_RUN_ONCE);
    s.reset();
  }

  // Issues `start(cb)` and runs the loop until cb has run; returns what it got.
  template <class T, class Start>
  Result<T> wait(Start start) {
    std::optional<Result<T>> out;
    start([&](Result<T> r) {
      if (std::this_thread::get_id() != loop_thread) callbacks_on_loop_thread = false;
      out = std::move(r);
    });
    while (!out) uv_run(&loop, UV_RUN_ONCE);
    return std::move(*out);
  }

  Result<SubmitResult> submit(model::LeafSpec s, std::string session = {}, Store* on = nullptr) {
    SubmitRequest req;
    req.leaf_id = new_id("lf_");
    req.resume = !session.empty();
    req.session_id = session.empty() ? new_id("ses_") : session;
    req.spec = std::move(s);
    Store& st = on ? *on : *store;
    return wait<SubmitResult>([&](auto cb) { st.submit(std::move(req), cb); });
  }
  // A new session copying events 1..seq of session `from`, with a new leaf.
  Result<SubmitResult> fork(model::LeafSpec s, std::string from, std::int64_t seq) {
    SubmitRequest req;
    req.leaf_id = new_id("lf_");
    req.session_id = new_id("ses_");
    req.spec = std::move(s);
    req.fork_from = std::move(from);
    req.fork_seq = seq;
    return wait<SubmitResult>([&](auto cb) { store->submit(std::move(req), cb); });
  }
  // A submitted leaf; fails the test when submit does.
  model::Leaf leaf(std::string prompt, std::map<std::string, std::string> labels = {}) {
    auto r = submit(spec(std::move(prompt), std::move(labels)));
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
    return r->leaf;
  }
  Result<AppendResult> append(const std::string& id, std::vector<model::EventDraft> drafts,
                              Store* on = nullptr) {
    Store& st = on ? *on : *store;
    return wait<AppendResult>([&](auto cb) { st.append(id, std::move(drafts), cb); });
  }
  Result<model::Leaf> get_leaf(const std::string& id) {
    return wait<model::Leaf>([&](auto cb) { store->get_leaf(id, cb); });
  }
  Result<LeafPage> list(LeafFilter f) {
    return wait<LeafPage>([&](auto cb) { store->list_leaves(std::move(f), cb); });
  }
  Result<std::vector<model::Event>> events(std::string session, std::string leaf = {},
                                           std::int64_t after = 0) {
    EventQuery q;
    q.session = std::move(session);
    q.leaf = std::move(leaf);
    q.after_seq = after;
    return wait<std::vector<model::Event>>([&](auto cb) { store->read_events(q, cb); });
  }
  Result<model::Session> session(const std::string& id) {
    return wait<model::Session>([&](auto cb) { store->get_session(id, cb); });
  }
  Result<std::vector<model::Leaf>> unfinished() {
    return wait<std::vector<model::Leaf>>([&](auto cb) { store->list_unfinished(cb); });
  }
  Result<bool> ping(Store* on = nullptr) {
    Store& st = on ? *on : *store;
    return wait<bool>([&](auto cb) { st.ping(cb); });
  }
  // Ends a leaf with the given terminal state.
  void finish(const std::string& id, model::LeafState st = model::LeafState::succeeded,
              Store* on = nullptr) {
    auto r = append(id, {model::finished_event(st, "completed", "done", std::string("ok"))}, on);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  }
};

using StoreFixture = BasicStoreFixture<SqliteBackend>;

}  // namespace harness::store::test
