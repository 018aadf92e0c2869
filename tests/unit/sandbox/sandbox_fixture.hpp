#pragma once
// Shared setup for tests that run a real bwrap sandbox on a real libuv loop.

#include <doctest/doctest.h>
#include <uv.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "lib/base/unique_fd.hpp"
#include "lib/sandbox/bwrap_driver.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/driver.hpp"
#include "lib/sandbox/exec_helper.hpp"
#include "tests/unit/prerequisite.hpp"

namespace harness::sandbox::testing {

// True when bwrap exists and can create its namespaces on this machine.
inline bool bwrap_available() {
  static const bool ok = std::system("bwrap --unshare-all --ro-bind / / true >/dev/null 2>&1") == 0;
  return ok;
}

// Skips the test without a working bwrap (fails it in CI mode; see tests/unit/prerequisite.hpp).
#define SKIP_WITHOUT_BWRAP()                                  \
  SKIP_UNLESS(::harness::sandbox::testing::bwrap_available(), \
              "bwrap is not installed or cannot create namespaces")

// The channel protocols, as doctest template parameters: CHANNEL_TEST runs a test once over each,
// named "...<sh>" and "...<harness-exec>".
struct OverSh {
  static constexpr ChannelProtocol value = ChannelProtocol::sh;
};
struct OverExec {
  static constexpr ChannelProtocol value = ChannelProtocol::exec;
};
#define CHANNEL_TEST(name)                                         \
  TEST_CASE_TEMPLATE(name, P, ::harness::sandbox::testing::OverSh, \
                     ::harness::sandbox::testing::OverExec)

inline std::string make_temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "harness-sbx-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  REQUIRE(p != nullptr);
  return tmpl;
}

// A loop, a workspace dir, a driver for `profile` and a channel into it. The destructor closes
// everything and checks that the loop closes cleanly. Without `over`, the driver speaks what
// make_driver picks (harness-exec for bwrap when the helper is built); with it, a bwrap driver
// made to speak that protocol.
struct SandboxFixture {
  uv_loop_t loop{};
  std::string workspace = make_temp_dir();
  model::SandboxProfile profile;
  std::unique_ptr<Driver> driver;
  std::unique_ptr<Channel> channel;
  ChannelProtocol protocol = ChannelProtocol::sh;
  std::string bb_dir;
  UniqueFd ws_fd;

  // The workspace is handed over as the runner does: an fd opened without following symlinks.
  // `over`: a bwrap driver speaking that protocol (else the profile's driver as the daemon makes
  // it). With `run_as` (a root test), the workspace is given to that account and the tools run
  // as it.
  explicit SandboxFixture(model::SandboxProfile p = {},
                          std::optional<ChannelProtocol> over = std::nullopt,
                          std::optional<Account> run_as = {})
      : profile(std::move(p)) {
    uv_loop_init(&loop);
    if (profile.name.empty()) profile.name = "test";
    if (run_as) REQUIRE(::chown(workspace.c_str(), run_as->uid, run_as->gid) == 0);
    ws_fd.reset(::open(workspace.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE(ws_fd.valid());
    if (over) {
      bool exec = *over == ChannelProtocol::exec;
      if (exec) REQUIRE_MESSAGE(!exec_helper_path().empty(), "harness-exec is not built");
      driver = std::make_unique<BwrapDriver>(profile, exec ? exec_helper_path() : "");
    } else {
      auto d = make_driver(profile);
      REQUIRE(d.has_value());
      driver = std::move(*d);
    }
    protocol = driver->channel_protocol();
    LeafContext ctx{"lf_test", workspace, std::move(run_as), ws_fd.get()};
    auto argv = driver->shell_argv(ctx);
    REQUIRE(argv.has_value());
    open(*argv, sandbox_env(profile), driver->inherited_fds(ctx));
  }
  SandboxFixture(model::SandboxProfile p, Account run_as)
      : SandboxFixture(std::move(p), std::nullopt, std::move(run_as)) {}
  void open(std::vector<std::string> argv, std::vector<std::string> env,
            std::vector<int> fds = {}) {
    channel = std::make_unique<Channel>(&loop, std::move(argv), std::move(env),
                                        channel_limits(profile), protocol, std::move(fds));
  }
  // Reopens the channel with busybox sh as the shell and only busybox applets on PATH (bound
  // read-only at /bb), to prove the protocol and tools need nothing more. False if no busybox.
  bool use_busybox_only() {
    if (access("/bin/busybox", X_OK) != 0) return false;
    bb_dir = make_temp_dir();
    for (const char* app : {"sh", "base64", "cat", "mkdir", "rm", "find", "grep", "head", "tail",
                            "wc", "setsid", "kill", "sleep", "env", "printf", "tr", "cut"})
      std::filesystem::create_symlink("/bin/busybox", bb_dir + "/" + app);
    LeafContext ctx{"lf_bb", workspace};
    auto argv = *driver->shell_argv(ctx);
    for (size_t i = 0; i + 2 < argv.size(); ++i)
      if (argv[i] == "--setenv" && argv[i + 1] == "PATH") argv[i + 2] = "/bb";
    auto ro = std::find(argv.begin(), argv.end(), "--remount-ro");
    argv.insert(ro, {"--ro-bind", bb_dir, "/bb"});
    argv.back() = "/bb/sh";
    protocol = ChannelProtocol::sh;
    open(argv, {"PATH=/bb", "HOME=/workspace"}, driver->inherited_fds(ctx));
    return true;
  }

  ~SandboxFixture() {
    channel.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
    std::error_code ec;
    std::filesystem::remove_all(workspace, ec);
    if (!bb_dir.empty()) std::filesystem::remove_all(bb_dir, ec);
  }

  // Runs the loop until `done` is true.
  template <class F>
  void run_until(F done) {
    while (!done()) uv_run(&loop, UV_RUN_ONCE);
  }

  Result<ExecResult> exec(ExecRequest req) {
    std::optional<Result<ExecResult>> out;
    channel->exec(std::move(req), [&](Result<ExecResult> r) { out.emplace(std::move(r)); });
    run_until([&] { return out.has_value(); });
    return std::move(*out);
  }
  Result<ExecResult> exec(std::string command, std::int64_t timeout_ms = 30'000) {
    ExecRequest req;
    req.command = std::move(command);
    req.timeout_ms = timeout_ms;
    return exec(std::move(req));
  }
};

}  // namespace harness::sandbox::testing

TYPE_TO_STRING_AS("sh", harness::sandbox::testing::OverSh);
TYPE_TO_STRING_AS("harness-exec", harness::sandbox::testing::OverExec);
