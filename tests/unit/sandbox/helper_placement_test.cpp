#include "lib/sandbox/helper_placement.hpp"

#include <doctest/doctest.h>
#include <uv.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "lib/base/sha256.hpp"
#include "lib/sandbox/helper_placer.hpp"
#include "lib/sandbox/remote_shell.hpp"
#include "tests/unit/sandbox/sandbox_fixture.hpp"

using namespace harness;
using namespace harness::sandbox;

namespace {

int lines_of(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

TEST_CASE("the copied helper's name is keyed by the first 16 hex digits of its SHA-256") {
  std::string hex = sha256_hex("abc");
  CHECK(hashed_helper_path("/tmp", hex) == "/tmp/.harness-exec-ba7816bf8f01cfea");
  CHECK(hashed_helper_path("/var/tmp/", hex) == "/var/tmp/.harness-exec-ba7816bf8f01cfea");
  CHECK(hashed_helper_path("/", hex) == "/.harness-exec-ba7816bf8f01cfea");
  CHECK_FALSE(build_arch().empty());
}

TEST_CASE("the build's helper is identified by size, hash and the --version it prints") {
  const auto& id = helper_identity();
  REQUIRE_MESSAGE(id.has_value(), "harness-exec is not built");
  CHECK(id->size == std::filesystem::file_size(id->host_path));
  CHECK(id->in_container == hashed_helper_path("/tmp", id->sha256_hex));
  CHECK(id->version_line == "harness-exec protocol 1");
  auto probe = probe_command(*id);
  CHECK(probe.size() == 8);
  CHECK(probe[4] == id->in_container);
  CHECK(probe[5] == std::to_string(id->size));
  CHECK(install_command(*id).back() == id->version_line);
  CHECK(write_check_command(*id).back() == id->in_container);
}

TEST_CASE("probe answers are read strictly") {
  CHECK(read_probe("present\n").answer == ProbeAnswer::present);
  CHECK(read_probe("absent\n").answer == ProbeAnswer::absent);
  auto other = read_probe("arch aarch64\n");
  CHECK(other.answer == ProbeAnswer::other_arch);
  CHECK(other.arch == "aarch64");
  CHECK(read_probe("").answer == ProbeAnswer::unreadable);
  CHECK(read_probe("motd\npresent\n").answer == ProbeAnswer::unreadable);
}

TEST_CASE("decisions: one placer per container, the others wait and are woken by its decision") {
  HelperPlacements t;
  CHECK(t.find("c1") == nullptr);
  t.begin("c1");
  CHECK(t.busy("c1"));
  CHECK_FALSE(t.busy("c2"));
  int woken = 0, other = 0;
  t.wait("c1", [&] { ++woken; });
  t.wait("c1", [&] { ++woken; });
  auto cancelled = t.wait("c1", [&] { ++woken; });
  t.wait("c2", [&] { ++other; });
  t.cancel_wait(cancelled);
  t.settle("c1", {ChannelProtocol::exec, "/tmp/.harness-exec-x", "copied"});
  CHECK(woken == 2);
  CHECK(other == 0);
  CHECK_FALSE(t.busy("c1"));
  REQUIRE(t.find("c1") != nullptr);
  CHECK(t.find("c1")->path == "/tmp/.harness-exec-x");
  t.forget("c1");
  CHECK(t.find("c1") == nullptr);
  t.begin("c2");
  t.abandon("c2");  // no decision: the waiter retries
  CHECK(other == 1);
  CHECK(t.find("c2") == nullptr);
  CHECK(t.waiting() == 0);
}

TEST_CASE("placers: the probe runs once per container; a placer gone mid-probe hands over") {
  REQUIRE_MESSAGE(helper_identity().has_value(), "harness-exec is not built");
  uv_loop_t loop{};
  uv_loop_init(&loop);
  std::string dir = testing::make_temp_dir();
  std::string count = dir + "/probes";
  // An "exec client" whose container cannot run sh: every probe fails with exit 5.
  std::vector<std::string> prefix{"sh", "-c", "echo x >>" + count + "; sleep 0.1; exit 5", "c"};
  HelperPlacements t;
  std::optional<HelperDecision> a, b, c;
  auto p1 = std::make_unique<HelperPlacer>(t, "k", "container k");
  auto p2 = std::make_unique<HelperPlacer>(t, "k", "container k");
  auto p3 = std::make_unique<HelperPlacer>(t, "k", "container k");
  p1->place(&loop, prefix, [&](HelperDecision d) { a = d; });
  p2->place(&loop, prefix, [&](HelperDecision d) { b = d; });
  p1.reset();  // its leaf ended while probing: p2 probes instead
  p3->place(&loop, prefix, [&](HelperDecision d) { c = d; });
  while (!b || !c) REQUIRE((uv_run(&loop, UV_RUN_ONCE) != 0 || (b && c)));
  CHECK_FALSE(a.has_value());
  CHECK(b->protocol == ChannelProtocol::sh);
  CHECK(b->note == "sh: cannot look for harness-exec: exit status 5");
  CHECK(c->note == b->note);
  CHECK(lines_of(count) <= 2);  // p1's probe (killed) and p2's; p3 took the decision
  int before = lines_of(count);
  std::optional<HelperDecision> d;
  HelperPlacer(t, "k", "container k").place(&loop, prefix, [&](HelperDecision x) { d = x; });
  CHECK(d.has_value());  // decided already: at once, no probe
  p2.reset();
  p3.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(lines_of(count) == before);
  CHECK(uv_loop_close(&loop) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the workspace copy also checks that a helper placed earlier is still there") {
  auto plain = copy_in_argv(LeafContext{"lf", "/host/ws"}, {"p"}, "/workspace/lf");
  CHECK(plain.back() == "/workspace/lf");
  auto checked = copy_in_argv(LeafContext{"lf", "/host/ws"}, {"p"}, "/workspace/lf", "/tmp/.hx");
  CHECK(checked.back() == "/tmp/.hx");
  CHECK(checked[checked.size() - 4].find(k_helper_missing) != std::string::npos);
}
