// bench_channel_rtt: a tool round trip through the real Channel versus the same command run
// directly inside the same sandbox (SPEC §12). Driven by tests/bench/bench_channel.py.
//
//   bench_channel_rtt CONFIG.toml PROFILE N DIRECT_EXEC PROTOCOL...
//
// For each PROTOCOL (sh, exec): makes the profile's driver speak it (bwrap either; per-leaf
// podman containers only their own; an existing container or pod harness-exec copied in, or sh
// by a decision put in the daemon's placement table beforehand), prepares a fresh workspace holding
// DIRECT_EXEC (tests/bench/ direct_exec.c), opens a channel, and in rounds of 10 times 10 channel
// calls of `echo x` (Channel::exec to its callback, steady_clock = CLOCK_MONOTONIC) and then,
// through the same channel, DIRECT_EXEC running `echo x` 10 times inside the sandbox and timing
// each run with CLOCK_MONOTONIC itself. Prints one JSON object per protocol on stdout.
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "lib/config/config.hpp"
#include "lib/sandbox/bwrap_driver.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/exec_helper.hpp"
#include "lib/sandbox/kubectl_driver.hpp"
#include "lib/sandbox/podman_driver.hpp"

using namespace harness;
using namespace harness::sandbox;
namespace fs = std::filesystem;

namespace {

constexpr const char* k_cmd = "echo x";
constexpr int k_round = 10;

struct Bench {
  uv_loop_t* loop;
  model::SandboxProfile profile;

  template <class F>
  void run_until(F done) {
    while (!done()) uv_run(loop, UV_RUN_ONCE);
  }

  Result<ExecResult> exec(Channel& ch, std::string cmd) {
    std::optional<Result<ExecResult>> out;
    ExecRequest req;
    req.command = std::move(cmd);
    req.timeout_ms = 60'000;
    ch.exec(std::move(req), [&](Result<ExecResult> r) { out.emplace(std::move(r)); });
    run_until([&] { return out.has_value(); });
    return std::move(*out);
  }

  Result<std::unique_ptr<Driver>> driver(ChannelProtocol protocol) {
    if (profile.driver == "bwrap")
      return std::unique_ptr<Driver>(new BwrapDriver(
          profile, protocol == ChannelProtocol::exec ? exec_helper_path() : std::string()));
    HARNESS_TRY_ASSIGN(auto d, make_driver(profile));
    // A container the daemon did not create: decided in prepare(), from the placement table.
    std::string key;
    if (auto* k = dynamic_cast<KubectlDriver*>(d.get())) key = k->placement_key();
    if (auto* p = dynamic_cast<PodmanDriver*>(d.get()); p && profile.image.empty())
      key = p->placement_key();
    if (key.empty()) return d;
    auto& table = HelperPlacements::process_wide();
    table.forget(key);
    if (protocol == ChannelProtocol::sh)
      table.settle(key, {ChannelProtocol::sh, "", "sh: the benchmark's choice"});
    return d;
  }

  nlohmann::json measure(ChannelProtocol protocol, int n, const std::string& direct) {
    nlohmann::json row{{"protocol", protocol_name(protocol)}, {"driver", profile.driver}};
    auto drv = driver(protocol);
    if (!drv) {
      row["skipped"] = drv.error().message;
      return row;
    }
    std::string ws =
        (fs::temp_directory_path() / ("bench-rtt-" + std::to_string(getpid()))).string();
    fs::create_directories(ws);
    fs::copy_file(direct, ws + "/.bench-direct", fs::copy_options::overwrite_existing);
    LeafContext ctx{"lf_bench_" + std::string(protocol_name(protocol)), ws};
    std::optional<Status> prepared;
    (*drv)->prepare(loop, ctx, [&](Status st) { prepared = st; });
    run_until([&] { return prepared.has_value(); });
    if (*prepared && (*drv)->channel_protocol() != protocol) {
      row["skipped"] = "the driver speaks " +
                       std::string(protocol_name((*drv)->channel_protocol())) + " (" +
                       (*drv)->channel_note() + ")";
      std::optional<bool> finished;
      (*drv)->finish(loop, [&] { finished = true; });
      run_until([&] { return finished.has_value(); });
      return row;
    }
    auto argv =
        *prepared ? (*drv)->shell_argv(ctx) : Result<std::vector<std::string>>(prepared->error());
    if (!argv) {
      row["error"] = argv.error().message;
      return row;
    }
    Channel ch(loop, *argv, (*drv)->launch_env(profile), channel_limits(profile, ctx), protocol,
               (*drv)->inherited_fds(ctx));
    auto t0 = std::chrono::steady_clock::now();
    auto first = exec(ch, "true");
    row["first_call_us"] =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    std::vector<double> channel_us, direct_us;
    std::string error = first ? "" : first.error().message;
    for (int i = 0; i < 5 && error.empty(); ++i) (void)exec(ch, k_cmd);
    for (int done = 0; done < n && error.empty(); done += k_round) {
      for (int i = 0; i < k_round; ++i) {
        auto s = std::chrono::steady_clock::now();
        auto r = exec(ch, k_cmd);
        auto us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s);
        if (!r || r->out != "x\n") error = r ? "unexpected output: " + r->out : r.error().message;
        channel_us.push_back(us.count());
      }
      auto r = exec(ch, "./.bench-direct " + std::to_string(k_round) + " '" + k_cmd + "'");
      if (!r || r->exit_code != 0) {
        error = r ? "direct_exec: " + r->err : r.error().message;
        break;
      }
      std::istringstream lines(r->out);
      for (double ns; lines >> ns;) direct_us.push_back(ns / 1000.0);
    }
    ch.close();
    std::optional<bool> finished;
    (*drv)->finish(loop, [&] { finished = true; });
    run_until([&] { return finished.has_value(); });
    std::error_code ec;
    fs::remove_all(ws, ec);
    if (!error.empty()) row["error"] = error;
    row["channel_us"] = channel_us;
    row["direct_us"] = direct_us;
    return row;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: bench_channel_rtt CONFIG.toml PROFILE N DIRECT_EXEC PROTOCOL...\n";
    return 2;
  }
  auto cfg = config::load_config(argv[1], {});
  if (!cfg) {
    std::cerr << cfg.error().message << "\n";
    return 2;
  }
  auto it = cfg->sandboxes.find(argv[2]);
  if (it == cfg->sandboxes.end()) {
    std::cerr << "no sandbox profile " << argv[2] << "\n";
    return 2;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  Bench b{&loop, it->second};
  for (int i = 5; i < argc; ++i) {
    std::string p = argv[i];
    auto protocol = p == "exec" ? ChannelProtocol::exec : ChannelProtocol::sh;
    std::cout << b.measure(protocol, std::atoi(argv[3]), argv[4]).dump() << std::endl;
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}
