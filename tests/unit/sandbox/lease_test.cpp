#include <doctest/doctest.h>
#include <uv.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "lib/sandbox/kubectl_driver.hpp"
#include "lib/sandbox/lease.hpp"
#include "tests/unit/sandbox/sandbox_fixture.hpp"

using namespace harness;
using namespace harness::sandbox;

TEST_CASE("leases: the cap is respected, least-shared pod first, released, same holder same pod") {
  LeaseTable t;
  std::vector<std::string> pods{"a", "b"};
  CHECK(t.acquire("ns", pods, 2, "l1") == "a");
  CHECK(t.acquire("ns", pods, 2, "l2") == "b");  // the less shared one
  CHECK(t.acquire("ns", pods, 2, "l3") == "a");
  CHECK(t.acquire("ns", pods, 2, "l4") == "b");
  CHECK(t.acquire("ns", pods, 2, "l5") == std::nullopt);  // both at the cap
  CHECK(t.acquire("ns", pods, 2, "l1") == "a");           // already holds one: the same
  CHECK(t.holders("ns", "a") == 2);
  CHECK(t.acquire("other", pods, 2, "l5") == "a");  // pools are separate
  t.release("ns", "l3");
  CHECK(t.holders("ns", "a") == 1);
  CHECK(t.acquire("ns", pods, 2, "l5") == "a");
  t.release("ns", "nobody");  // no-op
  CHECK(t.acquire("ns", {}, 2, "l6") == std::nullopt);
}

TEST_CASE("leases: waiters are woken by a release in their pool only, and can cancel") {
  LeaseTable t;
  t.acquire("ns", {"a"}, 1, "l1");
  t.acquire("other", {"a"}, 1, "x1");
  int woken = 0, cancelled = 0;
  t.wait("ns", [&] { ++woken; });
  auto id = t.wait("ns", [&] { ++cancelled; });
  t.cancel_wait(id);
  t.release("other", "x1");
  CHECK(woken == 0);
  t.release("ns", "l1");
  CHECK(woken == 1);
  CHECK(cancelled == 0);
  t.release("ns", "l1");  // nothing held: no wake-up
  CHECK(woken == 1);
}

namespace {

// A stand-in kubectl: `get pods` lists pod/a and pod/b, `exec` swallows the copied workspace.
std::string write_fake_kubectl(const std::string& dir, const std::string& pods) {
  std::string path = dir + "/kubectl";
  std::ofstream(path) << "#!/bin/sh\ncase \"$*\" in\n*' get pods '*) printf '" << pods
                      << "' ;;\n*' exec '*) cat >/dev/null ;;\n*) exit 2 ;;\nesac\n";
  chmod(path.c_str(), 0755);
  return path;
}

struct Prepared {
  std::unique_ptr<Driver> driver;
  std::optional<Status> status;
};

}  // namespace

TEST_CASE("kubectl selector: leases a pod per leaf, queues at the cap, reclaims on destruction") {
  uv_loop_t loop{};
  uv_loop_init(&loop);
  std::string dir = testing::make_temp_dir();
  model::SandboxProfile p;
  p.name = "pods";
  p.driver = "kubectl";
  p.selector = "app=sb";
  p.binary = write_fake_kubectl(dir, "pod/a\\npod/b\\n");
  p.max_leaves_per_pod = 1;
  LeaseTable leases;
  // Fails instead of spinning when nothing is left that could make `done` true.
  auto run_until = [&](auto done) {
    while (!done()) REQUIRE((uv_run(&loop, UV_RUN_ONCE) != 0 || done()));
  };
  std::vector<Prepared> leaves(3);
  auto prepare = [&](int i) {
    leaves[i].driver = std::move(*make_driver(p, &leases));
    leaves[i].driver->prepare(&loop, LeafContext{"lf_" + std::to_string(i), dir},
                              [&, i](Status st) { leaves[i].status = st; });
  };
  // Leaves 0 and 1 lease first: started together with the third, whichever listing ended first
  // would win, and leaf 1 could be the one left waiting.
  prepare(0);
  prepare(1);
  run_until([&] { return leaves[0].status && leaves[1].status; });
  prepare(2);
  CHECK(leaves[0].status->has_value());
  CHECK(leaves[1].status->has_value());
  auto pod_of = [&](int i) { return static_cast<KubectlDriver&>(*leaves[i].driver).pod(); };
  CHECK(pod_of(0) != pod_of(1));
  // The third waits: every pod holds one leaf.
  run_until([&] { return leases.waiting() == 1 || leaves[2].status.has_value(); });
  CHECK_FALSE(leaves[2].status.has_value());
  CHECK(leases.holders("||default", "a") == 1);
  CHECK(leases.holders("||default", "b") == 1);
  // Leaf 0 ends (its driver is dropped without finish(): the lease is reclaimed anyway).
  std::string freed = pod_of(0);
  leaves[0].driver.reset();
  run_until([&] { return leaves[2].status.has_value(); });
  CHECK(leaves[2].status->has_value());
  CHECK(pod_of(2) == freed);
  leaves[2].driver->finish(&loop, [] {});
  CHECK(leases.holders("||default", freed) == 0);
  leaves.clear();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("kubectl selector with no running pod fails with the selector and namespace") {
  uv_loop_t loop{};
  uv_loop_init(&loop);
  std::string dir = testing::make_temp_dir();
  model::SandboxProfile p;
  p.name = "pods";
  p.driver = "kubectl";
  p.selector = "app=none";
  p.kube_namespace = "agents";
  p.binary = write_fake_kubectl(dir, "");
  LeaseTable leases;
  auto d = std::move(*make_driver(p, &leases));
  std::optional<Status> st;
  d->prepare(&loop, LeafContext{"lf_x", dir}, [&](Status s) { st = s; });
  while (!st) uv_run(&loop, UV_RUN_ONCE);
  REQUIRE_FALSE(st->has_value());
  CHECK(st->error().message ==
        "sandbox 'pods' (kubectl): no running pod matches selector app=none in namespace agents");
  d.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  std::filesystem::remove_all(dir);
}
