// bench_sandbox_open: opening a bwrap sandbox through the product's path versus a bare
// `bwrap <same namespaces> true`. Driven by tests/bench/bench_sandbox_open.py.
//
//   bench_sandbox_open N MODE...
//
// MODE `root`: the leaf runs as the daemon (bwrap makes its own user namespace); `account`: a
// root daemon dropping to nobody (a user namespace made for bwrap, harness-exec --drop inside). For
// each mode, N alternating pairs, both spawned with uv_spawn on the same loop and timed with
// steady_clock (CLOCK_MONOTONIC):
//   open: BwrapDriver::shell_argv + a Channel (harness-exec where built) with the default
//         profile (pids cgroup, seccomp, tmpfs sizes) and an fd workspace as the runner hands
//         it, from Channel::exec("true") to its reply; then the channel is closed;
//   bare: bwrap with the same namespaces, `--ro-bind / /`, running /bin/true, to its exit;
//   argv: (for the breakdown) the product's argv with /bin/true instead of harness-exec, to its
//         exit: launcher, bwrap and its mounts, but no account drop and no channel.
// Prints one JSON object per mode on stdout.
#include <fcntl.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "lib/loop/process.hpp"
#include "lib/sandbox/bwrap_driver.hpp"
#include "lib/sandbox/channel.hpp"

using namespace harness;
using namespace harness::sandbox;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double us_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

struct Bench {
  uv_loop_t* loop;
  model::SandboxProfile profile;
  std::string bwrap;

  template <class F>
  void run_until(F done) {
    while (!done()) uv_run(loop, UV_RUN_ONCE);
  }

  // One product open: the first reply of a fresh channel. Error text, or "" and *us.
  std::string open_once(const LeafContext& ctx, double* us) {
    BwrapDriver driver(profile);
    auto t0 = Clock::now();  // shell_argv sweeps the cgroups of ended sandboxes: timed too
    auto argv = driver.shell_argv(ctx);
    if (!argv) return argv.error().message;
    if (std::getenv("BENCH_PRINT_ARGV"))
      for (const auto& a : *argv) std::cerr << a << '\0';
    Channel ch(loop, *argv, driver.launch_env(profile), channel_limits(profile, ctx),
               driver.channel_protocol(), driver.inherited_fds(ctx));
    std::optional<Result<ExecResult>> out;
    ExecRequest req;
    req.command = "true";
    req.timeout_ms = 60'000;
    ch.exec(std::move(req), [&](Result<ExecResult> r) { out.emplace(std::move(r)); });
    run_until([&] { return out.has_value(); });
    *us = us_since(t0);
    ch.close();
    if (!*out) return out->error().message;
    return (*out)->exit_code == 0 ? "" : "true exited " + std::to_string((*out)->exit_code);
  }

  // The product's argv with /bin/true in place of the speaker: the launch without the channel.
  std::string argv_once(const LeafContext& ctx, double* us) {
    BwrapDriver driver(profile);
    auto argv = driver.shell_argv(ctx);
    if (!argv) return argv.error().message;
    auto speaker = std::find(argv->rbegin(), argv->rend(), k_exec_helper_in_sandbox);
    if (speaker == argv->rend()) return "harness-exec is not built";
    argv->erase(std::prev(speaker.base()), argv->end());  // the helper and its --drop/--chdir
    argv->push_back("/bin/true");
    return run_once(*argv, driver.launch_env(profile), driver.inherited_fds(ctx), us);
  }

  std::string bare_once(bool account, double* us) {
    std::vector<std::string> argv{bwrap};
    if (account)
      argv.insert(argv.end(), {"--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-uts",
                               "--unshare-cgroup-try", "--unshare-net"});
    else
      argv.insert(argv.end(), {"--unshare-all", "--unshare-user", "--disable-userns"});
    argv.insert(argv.end(), {"--ro-bind", "/", "/", "/bin/true"});
    return run_once(argv, {"PATH=/usr/bin:/bin"}, {}, us);
  }

  std::string run_once(const std::vector<std::string>& argv, std::vector<std::string> env,
                       std::vector<int> fds, double* us) {
    loop::Process p(loop);
    std::optional<std::int64_t> status;
    int eofs = 0;
    auto t0 = Clock::now();
    auto st = p.spawn(
        loop::ProcessOptions{argv, std::move(env), {}, std::move(fds)},
        [&](std::string_view d) { eofs += d.empty(); },
        [&](std::string_view d) { eofs += d.empty(); },
        [&](std::int64_t s, int sig) { status = sig ? 128 + sig : s; });
    if (!st) return st.error().message;
    run_until([&] { return status.has_value() && eofs == 2; });
    *us = us_since(t0);
    return *status == 0 ? "" : argv[0] + " exited " + std::to_string(*status);
  }

  nlohmann::json measure(const std::string& mode, int n) {
    nlohmann::json row{{"mode", mode}};
    bool account = mode == "account";
    if (account && geteuid() != 0) {
      row["skipped"] = "dropping to an account needs root";
      return row;
    }
    std::string ws =
        (fs::temp_directory_path() / ("bench-open-" + std::to_string(getpid()))).string();
    fs::create_directories(ws);
    if (account && chown(ws.c_str(), 65534, 65534) != 0) {
      row["error"] = "cannot chown the workspace";
      return row;
    }
    int ws_fd = ::open(ws.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    LeafContext ctx{"lf_bench_open", ws};
    ctx.workspace_fd = ws_fd;
    if (account) ctx.run_as = Account{65534, 65534, {65534}, "nobody"};
    std::vector<double> open_us, bare_us, argv_us;
    std::string error;
    for (int i = 0; i < n + 2 && error.empty(); ++i) {  // the first two pairs warm caches
      double o = 0, b = 0, a = 0;
      error = open_once(ctx, &o);
      if (error.empty()) error = bare_once(account, &b);
      if (error.empty()) error = argv_once(ctx, &a);
      if (i >= 2) {
        open_us.push_back(o);
        bare_us.push_back(b);
        argv_us.push_back(a);
      }
    }
    ::close(ws_fd);
    std::error_code ec;
    fs::remove_all(ws, ec);
    if (!error.empty()) row["error"] = error;
    row["open_us"] = open_us;
    row["bare_us"] = bare_us;
    row["argv_us"] = argv_us;
    return row;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: bench_sandbox_open N MODE...   (MODE: root, account)\n";
    return 2;
  }
  model::SandboxProfile profile;
  profile.name = "bench";
  auto bwrap = find_bwrap(profile);
  if (!bwrap) {
    std::cerr << bwrap.error().message << "\n";
    return 2;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  Bench b{&loop, profile, *bwrap};
  for (int i = 2; i < argc; ++i)
    std::cout << b.measure(argv[i], std::atoi(argv[1])).dump() << std::endl;
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}
