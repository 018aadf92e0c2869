// Pod leases in Redis (Store::pod_lease): the cap per pod, the least-shared pod, renewal,
// release, and expiry of a lease nobody renews. Two stores on one redis-server stand for two
// daemons.
#include <chrono>
#include <thread>

#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;

namespace {
using Op = PodLeaseRequest::Op;

struct PodFixture : BasicStoreFixture<RedisBackend> {
  std::vector<std::string> call(Store& s, Op op, std::vector<std::string> holders,
                                std::vector<std::string> pods = {}, std::int64_t cap = 1,
                                std::int64_t ttl = 10'000) {
    PodLeaseRequest req;
    req.op = op;
    req.pool = "cfg|ctx|ns";
    req.pods = std::move(pods);
    req.cap = cap;
    req.holders = std::move(holders);
    req.ttl_ms = ttl;
    auto r = wait<std::vector<std::string>>([&](auto cb) { s.pod_lease(req, cb); });
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return *r;
  }
};
const std::vector<std::string> k_pods{"p0", "p1"};
}  // namespace

TEST_CASE("pod leases: the cap holds across stores; release and expiry free a place") {
  HARNESS_SKIP_UNLESS_BACKEND(RedisBackend);
  PodFixture f;
  auto other = f.open(f.backend.url());
  using V = std::vector<std::string>;
  CHECK(f.call(*f.store, Op::acquire, {"l1"}, k_pods) == V{"p0"});
  CHECK(f.call(*other, Op::acquire, {"l2"}, k_pods) == V{"p1"});    // the least shared
  CHECK(f.call(*other, Op::acquire, {"l3"}, k_pods).empty());       // both at the cap
  CHECK(f.call(*f.store, Op::acquire, {"l1"}, k_pods) == V{"p0"});  // a holder gets its pod again
  CHECK(f.call(*f.store, Op::acquire, {"l1"}, k_pods, 2) == V{"p0"});
  CHECK(f.call(*other, Op::renew, {"l2", "gone"}) == V{"gone"});
  f.call(*f.store, Op::release, {"l1"});
  CHECK(f.call(*other, Op::acquire, {"l3"}, k_pods) == V{"p0"});

  // A lease that is not renewed within its ttl is free again (its daemon died).
  CHECK(f.call(*other, Op::acquire, {"l4"}, {"p2"}, 1, 150) == V{"p2"});
  CHECK(f.call(*f.store, Op::acquire, {"l5"}, {"p2"}, 1, 150).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  CHECK(f.call(*f.store, Op::acquire, {"l5"}, {"p2"}) == V{"p2"});
  CHECK(f.call(*other, Op::renew, {"l4"}) == V{"l4"});  // lost
  f.close_other(other);
}

TEST_CASE("pod leases: SQLite keeps none (its daemon leases in memory)") {
  BasicStoreFixture<SqliteBackend> f;
  PodLeaseRequest req;
  req.holders = {"l1"};
  req.pods = {"p0"};
  auto r = f.wait<std::vector<std::string>>([&](auto cb) { f.store->pod_lease(req, cb); });
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::unavailable);
}
