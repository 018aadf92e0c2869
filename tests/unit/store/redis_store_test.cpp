// What only the Redis store has: URLs, ACL authentication, SELECT, an unreachable or killed or
// frozen server, and the layout the multi-daemon step relies on (the queue stream).
#include <signal.h>

#include <chrono>

#include "lib/store/redis/url.hpp"
#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;
using redis::parse_redis_url;

namespace {

using RedisFixture = BasicStoreFixture<RedisBackend>;

// Runs the loop until `pred()` holds or `ms` pass; true when it held.
template <class Pred>
bool run_until(uv_loop_t* loop, Pred pred, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    uv_run(loop, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Pings until the store answers (reconnected) or `ms` pass.
template <class F>
bool until_ping_ok(F& f, int ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    auto r = f.ping();
    if (r && *r) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

TEST_CASE("redis url: the parts, defaults and percent-escapes") {
  auto u = parse_redis_url("redis://alice:p%40ss:w@rd@db.example:6380/3");
  REQUIRE(u.has_value());
  CHECK(u->user == "alice");
  CHECK(u->password == "p@ss:w@rd");
  CHECK(u->host == "db.example");
  CHECK(u->port == 6380);
  CHECK(u->db == 3);
  CHECK(u->display() == "redis://alice:***@db.example:6380/3");
  CHECK(u->endpoint() == "db.example:6380");

  auto slashed = parse_redis_url("redis://:a/b@c@h/2");
  REQUIRE(slashed.has_value());
  CHECK(slashed->user.empty());
  CHECK(slashed->password == "a/b@c");
  CHECK(slashed->host == "h");
  CHECK(slashed->db == 2);
  CHECK(slashed->display() == "redis://:***@h:6379/2");

  auto d = parse_redis_url("redis://localhost");
  REQUIRE(d.has_value());
  CHECK(d->port == 6379);
  CHECK(d->db == 0);
  CHECK(d->user.empty());
  CHECK(d->password.empty());
  CHECK(d->display() == "redis://localhost:6379/0");

  auto v6 = parse_redis_url("redis://:secret@[::1]:7000/");
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->password == "secret");
  CHECK(v6->endpoint() == "[::1]:7000");
  CHECK(v6->display() == "redis://:***@[::1]:7000/0");
}

TEST_CASE("redis url: clear errors that never show the password") {
  for (std::string bad :
       {"redis://:hunter2@", "redis://u:hunter2@host:0/0", "redis://u:hunter2@host:70000/0",
        "redis://u:hunter2@host:1/x", "redis://u:hunter2@host:1/0?x=1", "redis://u:hunter2@[::1/0",
        "redis://u:hunter2%zz@host", "rediss://u:hunter2@host", "redis://u:hunter2@host:/0",
        "http://u:hunter2@host", "redis://hunter2@host", "redis://u:hun?ter2@host",
        "redis://u:hunter2@/0"}) {
    auto r = parse_redis_url(bad);
    REQUIRE_MESSAGE(!r.has_value(), bad);
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK_MESSAGE(r.error().message.find("ter2") == std::string::npos, r.error().message);
    CHECK(r.error().message.find("redis://") != std::string::npos);
  }
}

TEST_CASE("redis store: an unreachable server fails calls unavailable, naming it and why") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  int port = 0;
  {
    RedisServer probe;  // a port that was just free, and is again once this server is gone
    port = probe.port();
  }
  StoreOptions opts;
  opts.connect_timeout_ms = 500;
  auto st = open_store(&loop, "redis://u:hunter2@127.0.0.1:" + std::to_string(port) + "/0", opts);
  REQUIRE(st.has_value());
  std::optional<Result<bool>> got;
  (*st)->ping([&](Result<bool> r) { got = std::move(r); });
  CHECK_FALSE(got.has_value());  // never inside the call
  REQUIRE(run_until(
      &loop, [&] { return got.has_value(); }, 5000));
  REQUIRE_FALSE(got->has_value());
  CHECK(got->error().code == ErrorCode::unavailable);
  CHECK(got->error().message.find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(got->error().message.find("refused") != std::string::npos);
  CHECK(got->error().message.find("hunter2") == std::string::npos);
  bool closed = false;
  (*st)->close([&] { closed = true; });
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(closed);
  st->reset();
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("redis store: ACL user and password; a wrong password is a clear error") {
  if (!RedisBackend::available()) {
    MESSAGE("SKIPPED (prerequisite): " << RedisBackend::missing());
    return;
  }
  RedisServer server(
      {"--user", "default", "off", "--user", "alice", "on", ">s3cret-pw", "~*", "&*", "+@all"});
  RedisFixture f;  // its own server: only for the loop and helpers
  auto good = f.open(server.url(0, "alice:s3cret-pw"));
  auto ok = f.ping(good.get());
  REQUIRE_MESSAGE(ok.has_value(), ok.error().message);
  CHECK(*ok);
  f.close_other(good);

  StoreOptions opts;
  opts.connect_timeout_ms = 1000;
  for (std::string who : {"alice:wrong-pw", "bob:s3cret-pw", ""}) {
    auto bad = f.open(server.url(0, who), opts);
    auto r = f.ping(bad.get());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::unavailable);
    CHECK(r.error().message.find("127.0.0.1:" + std::to_string(server.port())) !=
          std::string::npos);
    CHECK_MESSAGE((r.error().message.find("WRONGPASS") != std::string::npos ||
                   r.error().message.find("NOAUTH") != std::string::npos),
                  r.error().message);
    CHECK(r.error().message.find("s3cret-pw") == std::string::npos);
    CHECK(r.error().message.find("wrong-pw") == std::string::npos);
    f.close_other(bad);
  }
}

TEST_CASE("redis store: databases are separate") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto db3 = f.open(f.backend.server.url(3));
  auto l = f.leaf("in db 0");
  auto in3 = f.submit(spec("in db 3"), {}, db3.get());
  REQUIRE(in3.has_value());
  CHECK(f.list({})->leaves.size() == 1);
  CHECK(f.get_leaf(in3->leaf.id).error().code == ErrorCode::not_found);
  CHECK(f.backend.server.command({"SELECT", "3"}) == "OK");
  f.close_other(db3);
}

TEST_CASE("redis store: the queue stream holds exactly the queued leaves") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto& srv = f.backend.server;
  auto a = f.leaf("a");
  auto b = f.leaf("b");
  CHECK(srv.command({"XLEN", "harness:queue"}) == "2");
  CHECK(srv.command({"XINFO", "GROUPS", "harness:queue"}) == "1");
  REQUIRE(f.append(a.id, {draft("leaf_started")}).has_value());
  CHECK(srv.command({"XLEN", "harness:queue"}) == "1");
  f.finish(b.id, model::LeafState::cancelled);
  CHECK(srv.command({"XLEN", "harness:queue"}) == "0");
  CHECK(srv.command({"HEXISTS", "harness:leaf:" + a.id, "qid"}) == "0");
  CHECK(srv.command({"ZCARD", "harness:state:queued"}) == "0");
  CHECK(srv.command({"ZCARD", "harness:state:running"}) == "1");
  CHECK(srv.command({"XLEN", "harness:ses:" + a.session + ":log"}) == "2");
  CHECK(srv.command({"GET", "harness:schema"}) == "1");
}

TEST_CASE("redis store: a layout newer than this build is refused with a clear message") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  f.close();
  CHECK(f.backend.server.command({"SET", "harness:schema", "99"}) == "OK");
  StoreOptions opts;
  opts.connect_timeout_ms = 1000;
  f.reopen(opts);
  auto r = f.ping();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find("newer") != std::string::npos);
  CHECK(r.error().message.find("99") != std::string::npos);
}

TEST_CASE("redis store: a killed server fails calls, and after its restart nothing is lost") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto& srv = f.backend.server;
  std::vector<model::Leaf> leaves;
  for (int i = 0; i < 20; ++i) leaves.push_back(f.leaf("l" + std::to_string(i), {{"n", "x"}}));
  REQUIRE(f.append(leaves[0].id, {draft("leaf_started")}).has_value());

  srv.kill9();
  std::string where = "127.0.0.1:" + std::to_string(srv.port());
  auto down = f.append(leaves[0].id, {draft("model_request")});
  REQUIRE_FALSE(down.has_value());
  CHECK(down.error().code == ErrorCode::unavailable);
  CHECK_MESSAGE(down.error().message.find(where) != std::string::npos, down.error().message);
  auto sub = f.submit(spec("while down"));
  REQUIRE_FALSE(sub.has_value());
  CHECK(sub.error().code == ErrorCode::unavailable);
  auto p = f.ping();
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().message.find(where) != std::string::npos);

  srv.restart();
  REQUIRE(until_ping_ok(f, 10000));
  auto u = f.unfinished();
  REQUIRE(u.has_value());
  REQUIRE(u->size() == leaves.size());
  for (size_t i = 0; i < leaves.size(); ++i) CHECK((*u)[i].id == leaves[i].id);
  CHECK((*u)[0].state == model::LeafState::running);
  auto again = f.append(leaves[0].id, {draft("model_request")});
  REQUIRE_MESSAGE(again.has_value(), again.error().message);
  CHECK(again->events[0].seq == 3);
  LeafFilter by;
  by.labels = {"n=x"};
  CHECK(f.list(by)->leaves.size() == leaves.size());
}

TEST_CASE("redis store: a frozen server times calls out, and they work once it thaws") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  StoreOptions opts;
  opts.connect_timeout_ms = 300;
  opts.command_timeout_ms = 300;
  f.close();
  f.reopen(opts);
  auto l = f.leaf("x");
  f.backend.server.signal(SIGSTOP);
  auto t0 = std::chrono::steady_clock::now();
  auto r = f.get_leaf(l.id);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  f.backend.server.signal(SIGCONT);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK_MESSAGE(r.error().message.find("no answer within 300 ms") != std::string::npos,
                r.error().message);
  CHECK(ms >= 250);
  CHECK(ms < 3000);
  REQUIRE(until_ping_ok(f, 10000));
  auto back = f.get_leaf(l.id);
  REQUIRE(back.has_value());
  CHECK(back->id == l.id);
}

TEST_CASE("redis store: a store opened before its server starts connects when it comes up") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  f.backend.server.kill9();
  f.close();
  StoreOptions opts;
  opts.connect_timeout_ms = 300;
  f.reopen(opts);
  REQUIRE_FALSE(f.ping().has_value());
  f.backend.server.restart();
  REQUIRE(until_ping_ok(f, 10000));
  CHECK(f.leaf("late").state == model::LeafState::queued);
}

TEST_CASE("redis store: a host name is resolved off the loop; closing mid-connect is clean") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  std::string by_name = "redis://localhost:" + std::to_string(f.backend.server.port()) + "/0";
  auto named = f.open(by_name);
  auto ok = f.ping(named.get());
  REQUIRE_MESSAGE(ok.has_value(), ok.error().message);
  f.close_other(named);

  // Closed before the resolver or the connection answered: the call accepted before close()
  // still gets its answer, and nothing is left on the loop afterwards.
  for (const std::string& url : {by_name, f.backend.url()}) {
    auto early = f.open(url);
    std::optional<Result<bool>> got;
    early->ping([&](Result<bool> r) { got = std::move(r); });
    f.close_other(early);
    REQUIRE(got.has_value());
    CHECK(got->has_value());
  }
}

TEST_CASE("redis store: close and destroy from inside a callback") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto other = f.open(f.backend.url());
  auto l = f.leaf("x");
  bool closed = false;
  std::optional<Result<model::Leaf>> late;
  other->get_leaf(l.id, [&](Result<model::Leaf> r) {
    CHECK(r.has_value());
    other->close([&] { closed = true; });
    other->get_leaf(l.id, [&](Result<model::Leaf> r2) { late = std::move(r2); });
  });
  while (!closed) uv_run(&f.loop, UV_RUN_ONCE);
  REQUIRE(late.has_value());
  CHECK(late->error().code == ErrorCode::unavailable);
  other.reset();

  // Destroyed (without close) while a call is in flight: its callback is never called.
  auto doomed = f.open(f.backend.url());
  REQUIRE(f.ping(doomed.get()).has_value());
  bool called = false;
  doomed->get_leaf(l.id, [&](Result<model::Leaf>) { called = true; });
  uv_run(&f.loop, UV_RUN_NOWAIT);
  doomed.reset();
  REQUIRE(f.get_leaf(l.id).has_value());
  CHECK_FALSE(called);
}

TEST_CASE("redis store: an append whose answer was lost is not written twice by its retry") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto& srv = f.backend.server;
  StoreOptions opts;
  opts.connect_timeout_ms = 300;
  opts.command_timeout_ms = 300;
  f.close();
  f.reopen(opts);
  auto l = f.leaf("x");
  REQUIRE(f.append(l.id, {draft("leaf_started")}).has_value());
  std::string log = "harness:ses:" + l.session + ":log";

  // Redis is frozen with the script in its socket buffer: the store gives up and drops the
  // connection, and Redis runs the script when it thaws. The caller saw `unavailable`.
  srv.signal(SIGSTOP);
  auto lost = f.append(l.id, {draft("tool_started", {{"call_id", "c1"}})});
  srv.signal(SIGCONT);
  REQUIRE_FALSE(lost.has_value());
  CHECK(lost.error().code == ErrorCode::unavailable);
  REQUIRE(until_ping_ok(f, 10000));
  REQUIRE(srv.command({"XLEN", log}) == "3");  // it was written after all

  // The caller retries the same append: it gets the write that happened, not a second one.
  auto retry = f.append(l.id, {draft("tool_started", {{"call_id", "c1"}})});
  REQUIRE_MESSAGE(retry.has_value(), retry.error().message);
  REQUIRE(retry->events.size() == 1);
  CHECK(retry->events[0].seq == 3);
  CHECK(retry->events[0].data["call_id"] == "c1");
  CHECK(srv.command({"XLEN", log}) == "3");
  auto next = f.append(l.id, {draft("tool_finished", {{"call_id", "c1"}})});
  REQUIRE(next.has_value());
  CHECK(next->events[0].seq == 4);

  // A lost append that was not written is written by its retry.
  srv.kill9();
  auto down = f.append(l.id, {draft("model_request")});
  REQUIRE_FALSE(down.has_value());
  srv.restart();
  REQUIRE(until_ping_ok(f, 10000));
  auto again = f.append(l.id, {draft("model_request")});
  REQUIRE_MESSAGE(again.has_value(), again.error().message);
  CHECK(again->events[0].seq == 5);
  CHECK(srv.command({"XLEN", log}) == "5");
}
