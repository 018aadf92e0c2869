// Running a leaf as its account under a root daemon: the argv of every driver, and a real bwrap
// sandbox whose processes are the account (nobody), own what they write and hold no capability.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "lib/sandbox/bwrap_driver.hpp"
#include "lib/sandbox/podman_driver.hpp"
#include "lib/sandbox/remote_shell.hpp"
#include "lib/sandbox/run_as.hpp"
#include "lib/sandbox/seccomp.hpp"
#include "tests/unit/sandbox/sandbox_fixture.hpp"

namespace harness::sandbox {
namespace {

using Argv = std::vector<std::string>;
constexpr std::uint32_t k_nobody = 65534;

Account nobody() {
  return Account{k_nobody, k_nobody, {100, k_nobody}, "nobody"};
}

bool has(const Argv& a, const Argv& seq) {
  return std::search(a.begin(), a.end(), seq.begin(), seq.end()) != a.end();
}

// Ids, groups and capability sets of a command and of its parent (the channel's helper).
constexpr const char* k_ids_and_caps =
    "for p in self $PPID; do grep -E '^(Uid|Gid|Groups|Cap...|NoNewPrivs):' /proc/$p/status "
    "| tr -s '\\t ' ' '; done";
const std::string k_account_ids =
    "Uid: 65534 65534 65534 65534\nGid: 65534 65534 65534 65534\nGroups: 65534 \n"
    "CapInh: 0000000000000000\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\n"
    "CapBnd: 0000000000000000\nCapAmb: 0000000000000000\nNoNewPrivs: 1\n";

#define SKIP_UNLESS_ROOT() \
  SKIP_UNLESS(geteuid() == 0, "dropping to another account needs a root daemon")

TEST_CASE("run-as: setpriv drops every id and capability, only for a non-root account") {
  SKIP_UNLESS_ROOT();
  LeafContext ctx{"lf", "/w", nobody()};
  CHECK(drop_argv(ctx) == Argv{"setpriv", "--reuid=65534", "--regid=65534", "--groups=100,65534",
                               "--inh-caps=-all", "--bounding-set=-all", "--"});
  ctx.run_as->groups.clear();
  CHECK(drop_argv(ctx)[3] == "--clear-groups");
  CHECK(drop_argv(LeafContext{"lf", "/w", Account{}}).empty());  // root stays root
  CHECK(drop_argv(LeafContext{"lf", "/w"}).empty());
}

TEST_CASE("run-as: bwrap gets a user namespace from the launcher, ends in the drop; fd workspace") {
  SKIP_UNLESS_ROOT();
  model::SandboxProfile p;
  p.name = "t";
  p.pids_max = 0;  // the cgroup steps depend on the host; bwrap_launch_test has them
  const char* hx = "/usr/libexec/harness/harness-exec";
  auto argv = BwrapDriver(p, hx, hx).shell_argv(LeafContext{"lf", "/w", nobody(), 7});
  REQUIRE(argv.has_value());
  const Argv& a = *argv;
  // bwrap starts as root of a user namespace mapping root and the account to themselves.
  CHECK(Argv(a.begin(), a.begin() + 10) == Argv{hx, "--launch", "--new-session", "--reopen", "4",
                                                "--uid-map", "0 0 1\n65534 65534 1\n", "--gid-map",
                                                "0 0 1\n100 100 1\n65534 65534 1\n", "--"});
  CHECK(a[10].ends_with("bwrap"));
  CHECK(std::find(a.begin(), a.end(), "--unshare-user") == a.end());
  CHECK(std::find(a.begin(), a.end(), "--unshare-all") == a.end());
  CHECK(has(a, {"--unshare-pid"}));
  CHECK(has(a, {"--unshare-net"}));
  CHECK(has(a, {"--seccomp", "4"}));
  CHECK(has(a, {"--bind-fd", "3", "/workspace"}));
  CHECK(has(a, {"--cap-drop", "ALL", "--clearenv", "--cap-add", "CAP_SETUID"}));
  CHECK(has(a, {"--perms", "1777", "--tmpfs", "/tmp"}));
  CHECK(has(a, {"--chdir", "/"}));
  // harness-exec becomes the account itself (no setpriv), then enters the workspace; its
  // directories are 0755.
  CHECK(std::find(a.begin(), a.end(), "setpriv") == a.end());
  CHECK(Argv(a.end() - 7, a.end()) == Argv{"/run/harness/exec", "--drop", "65534", "65534",
                                           "100,65534", "--chdir", "/workspace"});
  CHECK(has(a, {"--perms", "0755", "--dir", "/run/harness", "--ro-bind", hx, "/run/harness/exec"}));
  auto fds = BwrapDriver(p).inherited_fds(LeafContext{"lf", "/w", nobody(), 7});
  CHECK(fds == std::vector<int>{7, *seccomp::filter_fd()});
  // Root, or no account: bwrap makes the user namespace as before.
  auto as_root = *BwrapDriver(p, "", hx).shell_argv(LeafContext{"lf", "/w"});
  CHECK(Argv(as_root.begin(), as_root.begin() + 6) ==
        Argv{hx, "--launch", "--new-session", "--reopen", "4", "--"});
  CHECK(has(as_root, {"--unshare-all", "--unshare-user", "--disable-userns"}));
  CHECK(has(as_root, {"--bind", "/w", "/workspace"}));
  CHECK(as_root.back() == "/bin/sh");
}

TEST_CASE("run-as: without harness-exec, shells make the namespace and enter the workspace") {
  SKIP_UNLESS_ROOT();
  model::SandboxProfile p;
  p.name = "t";
  auto argv = BwrapDriver(p, "", "").shell_argv(LeafContext{"lf", "/w", nobody(), 7});
  REQUIRE(argv.has_value());
  const Argv& a = *argv;
  CHECK(a[0] == "/bin/sh");
  CHECK(a[2].find(" 4</proc/self/fd/4") != std::string::npos);
  CHECK(a[2].find("unshare --user sleep") != std::string::npos);
  CHECK(a[2].find("printf '0 0 1\\n65534 65534 1\\n' >/proc/$__hp/uid_map") != std::string::npos);
  CHECK(a[2].find("printf '0 0 1\\n100 100 1\\n65534 65534 1\\n' >/proc/$__hp/gid_map") !=
        std::string::npos);
  CHECK(a[2].find("exec nsenter --user=/proc/self/fd/5 -- /bin/sh -c 'exec \"$0\" \"$@\" 5<&-'") !=
        std::string::npos);
  CHECK(Argv(a.end() - 10, a.end() - 1) == Argv{"setpriv", "--reuid=65534", "--regid=65534",
                                                "--groups=100,65534", "--inh-caps=-all",
                                                "--bounding-set=-all", "--", "/bin/sh", "-c"});
  CHECK(a.back().starts_with("cd /workspace || "));
  CHECK(a.back().ends_with("; exec /bin/sh"));
  auto as_root = *BwrapDriver(p, "", "").shell_argv(LeafContext{"lf", "/w"});
  CHECK(as_root[2].find("nsenter") == std::string::npos);
}

TEST_CASE("run-as: a per-leaf container runs as the account; the copy-in tar drops to it") {
  SKIP_UNLESS_ROOT();
  model::SandboxProfile p;
  p.driver = "podman";
  p.image = "img";
  p.user = "1000:1000";
  auto run = PodmanDriver(p).create_argv(LeafContext{"lf", "/w", nobody()});
  CHECK(has(run, {"--user", "65534:65534", "--group-add", "100", "-v"}));
  CHECK(std::find(run.begin(), run.end(), "1000:1000") == run.end());
  LeafContext ctx{"lf", "/w", nobody(), 5};
  auto copy = copy_in_argv(ctx, {"k", "exec"}, "/workspace/lf");
  CHECK(copy[2] ==
        "cd -- \"$0\" && 'setpriv' '--reuid=65534' '--regid=65534' '--groups=100,65534' "
        "'--inh-caps=-all' '--bounding-set=-all' '--' tar -cf - . | \"$@\"");
  CHECK(copy[3] == "/proc/self/fd/3");
  CHECK(copy_in_fds(ctx) == std::vector<int>{5});
}

TEST_CASE("run-as: inside bwrap the tools are the account, own their files, have no capability") {
  SKIP_UNLESS_ROOT();
  SKIP_WITHOUT_BWRAP();
  testing::SandboxFixture f({}, Account{k_nobody, k_nobody, {k_nobody}, "nobody"});
  auto r = f.exec(
      "id -u; id -g; touch made; stat -c %u made; grep CapEff /proc/self/status; "
      "echo t >/tmp/t && echo tmp-ok; unshare -U true 2>/dev/null || echo no-userns");
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  CHECK(r->out == "65534\n65534\n65534\nCapEff:\t0000000000000000\ntmp-ok\nno-userns\n");
  // The command and the helper that started it: every id the account, no group but its own, no
  // capability in any set.
  auto ids = f.exec(k_ids_and_caps);
  REQUIRE(ids.has_value());
  CHECK(ids->out == k_account_ids + k_account_ids);
  struct stat st {};
  REQUIRE(::stat((f.workspace + "/made").c_str(), &st) == 0);
  CHECK(st.st_uid == k_nobody);
  CHECK(st.st_gid == k_nobody);
  // The workspace fd bwrap bound is not handed on: nothing of the host is open in the sandbox.
  auto fds = f.exec("for p in 1 $PPID $$; do for fd in /proc/$p/fd/*; do readlink $fd; done; done");
  REQUIRE(fds.has_value());
  CHECK(fds->out.find(f.workspace) == std::string::npos);
  CHECK(fds->out.find("seccomp") == std::string::npos);
}

TEST_CASE("run-as: the process limit holds in a sandbox that dropped to an account") {
  SKIP_UNLESS_ROOT();
  SKIP_WITHOUT_BWRAP();
  model::SandboxProfile p;
  p.pids_max = 40;
  testing::SandboxFixture f(p, Account{k_nobody, k_nobody, {k_nobody}, "nobody"});
  auto r = f.exec("i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done");
  REQUIRE(r.has_value());
  INFO(r->out << r->err);
  CHECK(r->exit_code != 0);
  CHECK(r->err.find("fork") != std::string::npos);
  CHECK(f.exec("id -u")->out == "65534\n");
  model::SandboxProfile q;
  q.pids_max = 40;
  CHECK(channel_limits(q, LeafContext{"lf", "/w", nobody()}).pids_max == 40);
  CHECK(channel_limits(q, LeafContext{"lf", "/w"}).pids_max == 0);  // root: the cgroup only
}

TEST_CASE("run-as: started by shells instead of harness-exec, the drop and the cap hold alike") {
  SKIP_UNLESS_ROOT();
  SKIP_WITHOUT_BWRAP();
  model::SandboxProfile p;
  p.pids_max = 40;
  Account account{k_nobody, k_nobody, {k_nobody}, "nobody"};
  testing::SandboxFixture f(p, account);
  BwrapDriver shells(f.profile, "", "");
  LeafContext ctx{"lf_test", f.workspace, account, f.ws_fd.get()};
  auto argv = shells.shell_argv(ctx);
  REQUIRE(argv.has_value());
  REQUIRE((*argv)[0] == "/bin/sh");
  f.protocol = ChannelProtocol::sh;
  f.open(*argv, sandbox_env(f.profile), shells.inherited_fds(ctx));
  auto r = f.exec("id -u; pwd");
  REQUIRE_MESSAGE(r.has_value(), r.error().message);
  CHECK(r->out == "65534\n/workspace\n");
  auto ids = f.exec(k_ids_and_caps);
  REQUIRE(ids.has_value());
  CHECK(ids->out.starts_with(k_account_ids));  // the command; its parent is the channel's shell
  auto bomb = f.exec("i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done");
  REQUIRE(bomb.has_value());
  CHECK(bomb->exit_code != 0);
  CHECK(bomb->err.find("fork") != std::string::npos);
}

}  // namespace
}  // namespace harness::sandbox
