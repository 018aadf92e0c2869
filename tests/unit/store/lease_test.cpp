// Leases and fencing (several daemons on one store): node names, claims, renewal, takeover
// after expiry, fenced writes refused, verdict hand-offs. Each "daemon" is a second Store on
// the same redis-server. SQLite has one daemon: its lease calls answer trivially.
#include <chrono>

#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;
using model::LeafState;

namespace {

using RedisFixture = BasicStoreFixture<RedisBackend>;

struct Daemon {
  std::string node, instance;
  std::unique_ptr<Store> store;
};

Result<bool> register_node(RedisFixture& f, Store& s, std::string node, std::string instance,
                           std::int64_t ttl = 15'000) {
  return f.wait<bool>([&](auto cb) { s.register_node(NodeRequest{node, instance, ttl}, cb); });
}

Result<ClaimResult> claim(RedisFixture& f, Store& s, const std::string& node, int want,
                          std::int64_t ttl = 15'000) {
  return f.wait<ClaimResult>([&](auto cb) {
    s.claim(ClaimRequest{node, "inst-" + node, want, ttl}, cb);
  });
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

TEST_CASE("leases on sqlite: one daemon, no claims, nothing fenced") {
  StoreFixture f;
  CHECK_FALSE(f.store->shared());
  auto reg = f.wait<bool>([&](auto cb) { f.store->register_node({"a", "i", 1000}, cb); });
  CHECK(reg.has_value());
  auto leaf = f.leaf("x");
  auto c = f.wait<ClaimResult>([&](auto cb) { f.store->claim({"a", "i", 4, 1000}, cb); });
  REQUIRE(c.has_value());
  CHECK(c->claimed.empty());
  CHECK(f.append(leaf.id, {draft("leaf_started")}).has_value());
}

TEST_CASE("leases: a node name is held by one live instance") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  CHECK(f.store->shared());
  auto other = f.open(f.backend.url());
  REQUIRE(register_node(f, *f.store, "n1", "i1", 400).has_value());
  CHECK(register_node(f, *f.store, "n1", "i1", 400).has_value());  // itself: renewed
  auto second = register_node(f, *other, "n1", "i2", 400);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == ErrorCode::conflict);
  CHECK(second.error().message.find("node n1 is live") != std::string::npos);
  CHECK(register_node(f, *other, "n2", "i2", 400).has_value());
  sleep_ms(500);  // i1 stopped renewing (killed): the name is free again
  CHECK(register_node(f, *other, "n1", "i2", 400).has_value());
  f.close_other(other);
}

TEST_CASE("leases: claims take the queue oldest first, each leaf by one daemon") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto other = f.open(f.backend.url());
  auto a = f.leaf("a");
  auto b = f.leaf("b");
  auto c = f.leaf("c");
  auto first = claim(f, *f.store, "n1", 2);
  REQUIRE(first.has_value());
  REQUIRE(first->claimed.size() == 2);
  CHECK(first->claimed[0].leaf.id == a.id);
  CHECK(first->claimed[1].leaf.id == b.id);
  CHECK(first->claimed[0].fence == 1);
  CHECK_FALSE(first->claimed[0].after_gate);
  auto second = claim(f, *other, "n2", 5);
  REQUIRE(second.has_value());
  REQUIRE(second->claimed.size() == 1);
  CHECK(second->claimed[0].leaf.id == c.id);
  auto none = claim(f, *other, "n2", 5);
  REQUIRE(none.has_value());
  CHECK(none->claimed.empty());
  CHECK(none->lost.empty());
  // The holder writes under its lease; the queue is empty.
  CHECK(f.append(a.id, {draft("leaf_started", {{"node", "n1"}})}).has_value());
  CHECK(f.get_leaf(a.id)->node == "n1");
  CHECK(f.backend.server.command({"XLEN", "harness:queue"}) == "0");
  f.close_other(other);
}

TEST_CASE(
    "leases: after the lease expires another daemon takes the leaf; the old holder's "
    "writes are refused") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto other = f.open(f.backend.url());
  auto a = f.leaf("a");
  REQUIRE(claim(f, *f.store, "n1", 1, 300)->claimed.size() == 1);
  REQUIRE(f.append(a.id, {draft("leaf_started")}).has_value());
  // Renewed while the holder ticks: nobody else gets it.
  sleep_ms(200);
  REQUIRE(claim(f, *f.store, "n1", 0, 300).has_value());
  sleep_ms(200);
  CHECK(claim(f, *other, "n2", 1, 300)->claimed.empty());
  // The holder pauses past its lease: refused even before anyone took the leaf over.
  sleep_ms(400);
  auto late = f.append(a.id, {draft("model_response", {{"turn", 1}})});
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code == ErrorCode::conflict);
  CHECK(late.error().message.find("lost its lease") != std::string::npos);

  auto taken = claim(f, *other, "n2", 1, 300);
  REQUIRE(taken.has_value());
  REQUIRE(taken->claimed.size() == 1);
  CHECK(taken->claimed[0].leaf.id == a.id);
  CHECK(taken->claimed[0].leaf.state == LeafState::running);
  CHECK(taken->claimed[0].fence == 2);
  CHECK_FALSE(taken->claimed[0].after_gate);
  CHECK(f.append(a.id, {draft("leaf_recovered", {{"node", "n2"}})}, other.get()).has_value());
  // The old holder hears it lost the leaf; nothing it sent was written.
  auto back = claim(f, *f.store, "n1", 0, 300);
  REQUIRE(back.has_value());
  CHECK(back->lost.empty());  // already forgotten when its write was refused
  auto evs = f.events(a.session, a.id);
  REQUIRE(evs.has_value());
  REQUIRE(evs->size() == 3);
  CHECK(evs->back().type == "leaf_recovered");
  CHECK(f.get_leaf(a.id)->node == "n2");
  f.close_other(other);
}

TEST_CASE("leases: a holder that did not write learns at its next claim that it lost the leaf") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto other = f.open(f.backend.url());
  auto a = f.leaf("a");
  REQUIRE(claim(f, *f.store, "n1", 1, 200)->claimed.size() == 1);
  sleep_ms(300);
  REQUIRE(claim(f, *other, "n2", 1, 200)->claimed.size() == 1);
  auto back = claim(f, *f.store, "n1", 1, 200);
  REQUIRE(back.has_value());
  REQUIRE(back->lost.size() == 1);
  CHECK(back->lost[0] == a.id);
  CHECK(back->claimed.empty());
  f.close_other(other);
}

TEST_CASE("leases: a cancel through another daemon ends the leaf and its holder is told") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto other = f.open(f.backend.url());
  auto a = f.leaf("a");
  REQUIRE(claim(f, *f.store, "n1", 1)->claimed.size() == 1);
  REQUIRE(f.append(a.id, {draft("leaf_started")}).has_value());
  f.finish(a.id, LeafState::cancelled, other.get());  // not held there: not fenced
  auto back = claim(f, *f.store, "n1", 1);
  REQUIRE(back.has_value());
  REQUIRE(back->lost.size() == 1);
  CHECK(back->lost[0] == a.id);
  auto late = f.append(a.id, {draft("model_response", {{"turn", 1}})});
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code == ErrorCode::conflict);
  CHECK(f.backend.server.command({"ZCARD", "harness:leases"}) == "0");
  f.close_other(other);
}

TEST_CASE("leases: a verdict through any daemon hands a parked leaf to whoever claims it") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto b = f.open(f.backend.url());
  auto c = f.open(f.backend.url());
  auto a = f.leaf("a");
  REQUIRE(claim(f, *f.store, "n1", 1)->claimed.size() == 1);
  REQUIRE(f.append(a.id, {draft("leaf_started"), draft("gate_opened", {{"gate", 1}})}).has_value());
  CHECK(f.backend.server.command({"ZCARD", "harness:leases"}) == "0");  // parked: not held
  CHECK(claim(f, *c, "n3", 1)->claimed.empty());
  REQUIRE(f.append(a.id, {draft("gate_decided", {{"gate", 1}, {"verdict", "approved"}})}, b.get())
              .has_value());
  auto got = claim(f, *c, "n3", 1);
  REQUIRE(got.has_value());
  REQUIRE(got->claimed.size() == 1);
  CHECK(got->claimed[0].leaf.id == a.id);
  CHECK(got->claimed[0].after_gate);
  CHECK(got->claimed[0].fence == 2);
  CHECK(f.append(a.id, {draft("leaf_started", {{"node", "n3"}})}, c.get()).has_value());
  f.close_other(b);
  f.close_other(c);
}

TEST_CASE("leases: a released leaf is claimable at once") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  RedisFixture f;
  auto other = f.open(f.backend.url());
  auto a = f.leaf("a");
  REQUIRE(claim(f, *f.store, "n1", 1)->claimed.size() == 1);
  REQUIRE(f.append(a.id, {draft("leaf_started")}).has_value());
  REQUIRE(f.wait<bool>([&](auto cb) { f.store->release(a.id, cb); }).has_value());
  auto got = claim(f, *other, "n2", 1);
  REQUIRE(got.has_value());
  REQUIRE(got->claimed.size() == 1);
  CHECK(got->claimed[0].fence == 2);
  // The releaser holds nothing any more: its writes are not fenced (like a cancel from any
  // daemon), and the new holder's are.
  CHECK(f.append(a.id, {draft("model_response", {{"turn", 1}})}, other.get()).has_value());
  f.close_other(other);
}
