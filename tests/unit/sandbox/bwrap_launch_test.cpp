// The host-side start of a bwrap sandbox (bwrap_launch.hpp): `harness-exec --launch` on its own,
// with a plain program instead of bwrap — the filter fd reopened with an offset of its own, the
// pids cgroup joined before the program runs, the user namespace and its maps, and each failure
// refusing to start anything; the argv the driver builds from it.
#include "lib/sandbox/bwrap_launch.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "lib/sandbox/exec_helper.hpp"
#include "lib/sandbox/run_as.hpp"
#include "tests/unit/prerequisite.hpp"

using namespace harness;
using namespace harness::sandbox;

extern char** environ;

namespace {

using Argv = std::vector<std::string>;

struct Ran {
  int status = -1;  // exit code
  std::string out, err;
};

std::string slurp(FILE* f) {
  std::string s;
  char buf[4096];
  std::rewind(f);
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
  return s;
}

// Runs argv with stdout and stderr into temporary files and `fd4` (if >= 0) as its fd 4.
Ran run(const Argv& argv, int fd4 = -1) {
  FILE* out = std::tmpfile();
  FILE* err = std::tmpfile();
  REQUIRE((out && err));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fileno(out), 1);
  posix_spawn_file_actions_adddup2(&fa, fileno(err), 2);
  if (fd4 >= 0)
    posix_spawn_file_actions_adddup2(&fa, fd4, 4);
  else
    posix_spawn_file_actions_addclose(&fa, 4);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  Ran r{WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), slurp(out), slurp(err)};
  std::fclose(out);
  std::fclose(err);
  return r;
}

Argv launch(Argv opts, Argv program) {
  Argv a{exec_helper_path(), "--launch"};
  a.insert(a.end(), opts.begin(), opts.end());
  a.push_back("--");
  a.insert(a.end(), program.begin(), program.end());
  return a;
}

#define SKIP_WITHOUT_HELPER() SKIP_UNLESS(!exec_helper_path().empty(), "harness-exec is not built")

TEST_CASE("launch: the inherited fd is reopened with an offset of its own, then the program runs") {
  SKIP_WITHOUT_HELPER();
  FILE* f = std::tmpfile();
  REQUIRE(f);
  std::fputs("0123456789", f);
  std::fflush(f);
  int fd = fileno(f);
  REQUIRE(lseek(fd, 7, SEEK_SET) == 7);
  auto r = run(launch({"--reopen", "4"}, {"/bin/sh", "-c", "head -c 4 <&4"}), fd);
  CHECK(r.status == 0);
  CHECK(r.out == "0123");
  CHECK(lseek(fd, 0, SEEK_CUR) == 7);  // ours did not move
  std::fclose(f);
  // No fd 4 to reopen: nothing runs.
  auto none = run(launch({"--reopen", "4"}, {"/bin/echo", "ran"}));
  CHECK(none.status == 97);
  CHECK(none.out.empty());
}

TEST_CASE("launch: --new-session: the program leads a session of its own, with no terminal") {
  SKIP_WITHOUT_HELPER();
  Argv program{"/bin/sh", "-c",
               "awk '{print ($1 == $6) ? \"leader\" : \"member\", $7}' /proc/$$/stat"};
  auto r = run(launch({"--new-session"}, program));
  CHECK(r.status == 0);
  CHECK(r.out == "leader 0\n");
  CHECK(run(launch({}, program)).out.starts_with("member"));  // the test's own session otherwise
}

TEST_CASE("launch: bad arguments and a missing program are refused") {
  SKIP_WITHOUT_HELPER();
  auto bad = run({exec_helper_path(), "--launch", "--cgroup", "/x", "--", "/bin/true"});
  CHECK(bad.status == 97);  // --cgroup without --pids-max
  CHECK(bad.err.find("bad arguments") != std::string::npos);
  CHECK(run({exec_helper_path(), "--launch", "/bin/true"}).status == 97);  // no "--"
  auto missing = run(launch({}, {"/nonexistent/bwrap"}));
  CHECK(missing.status == 127);
  CHECK(missing.err.find("/nonexistent/bwrap") != std::string::npos);
}

TEST_CASE("launch: the program starts inside a fresh pids cgroup holding pids.max") {
  SKIP_WITHOUT_HELPER();
  const std::string& base = pids_cgroup_base();
  SKIP_UNLESS(!base.empty(), "no writable pids cgroup (a root daemon on a host offering one)");
  auto r = run(launch({"--cgroup", base, "--pids-max", "17"},
                      {"/bin/sh", "-c",
                       "d=" + base +
                           "/sbx-$$; cat $d/pids.max; grep -c \"^$$\\$\" "
                           "$d/cgroup.procs"}));
  CHECK(r.status == 0);
  CHECK(r.out == "17\n1\n");
  sweep_pids_cgroups(base);
  // Where no cgroup can be made, the sandbox does not start.
  auto no =
      run(launch({"--cgroup", "/proc/no-cgroup-here", "--pids-max", "17"}, {"/bin/echo", "ran"}));
  CHECK(no.status == 97);
  CHECK(no.out.empty());
  CHECK(no.err.find("cannot join the pids cgroup /proc/no-cgroup-here/sbx-") != std::string::npos);
}

TEST_CASE("launch: the program runs in a new user namespace with exactly the given maps") {
  SKIP_WITHOUT_HELPER();
  SKIP_UNLESS(geteuid() == 0, "mapping other ids needs root");
  Account nobody{65534, 65534, {100, 65534}, "nobody"};
  auto r = run(launch({"--uid-map", uid_map(nobody), "--gid-map", gid_map(nobody)},
                      {"/bin/sh", "-c",
                       "cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; "
                       "[ \"$(readlink /proc/self/ns/user)\" != \"$(readlink /proc/1/ns/user)\" ] "
                       "&& echo new"}));
  CHECK(r.status == 0);
  CHECK(r.out == " 0 0 1\n 65534 65534 1\n 0 0 1\n 100 100 1\n 65534 65534 1\nnew\n");
  // A map the kernel refuses (uid 0 twice): nothing runs.
  auto bad =
      run(launch({"--uid-map", "0 0 1\n0 5 1\n", "--gid-map", "0 0 1\n"}, {"/bin/echo", "ran"}));
  CHECK(bad.status == 97);
  CHECK(bad.out.empty());
  CHECK(bad.err.find("cannot create the sandbox's user namespace") != std::string::npos);
}

TEST_CASE("launch: harness-exec --drop refuses a malformed or root account before speaking") {
  SKIP_WITHOUT_HELPER();
  for (Argv bad : {Argv{"0", "0", "-"}, Argv{"x", "1", "-"}, Argv{"-1", "1", "-"},
                   Argv{"5", "5", "1,,2"}, Argv{"5", "5", ""}}) {
    Argv argv{exec_helper_path(), "--drop"};
    argv.insert(argv.end(), bad.begin(), bad.end());
    auto r = run(argv);
    CHECK(r.status == 97);
    CHECK(r.out.empty());  // no hello
    CHECK(r.err.find("--drop: bad account") != std::string::npos);
  }
}

TEST_CASE("launch: harness-exec --chdir enters the directory first, or refuses to speak") {
  SKIP_WITHOUT_HELPER();
  auto r = run({exec_helper_path(), "--chdir", "/nonexistent-workspace"});
  CHECK(r.status == 97);
  CHECK(r.out.empty());  // no hello
  CHECK(r.err.find("cannot enter the workspace") != std::string::npos);
}

TEST_CASE("launch: the driver's argv — harness-exec with only the steps this leaf needs, or sh") {
  LeafContext root{"lf", "/w"};
  CHECK(launch_argv("/hx", "", 512, root) ==
        Argv{"/hx", "--launch", "--new-session", "--reopen", "4", "--"});
  CHECK(launch_argv("/hx", "/cg", 0, root) ==
        Argv{"/hx", "--launch", "--new-session", "--reopen", "4", "--"});
  CHECK(launch_argv("/hx", "/cg", 64, root) == Argv{"/hx", "--launch", "--new-session", "--reopen",
                                                    "4", "--cgroup", "/cg", "--pids-max", "64",
                                                    "--"});
  auto sh = launch_argv("", "/cg", 64, root);
  REQUIRE(sh.size() == 3);
  CHECK(sh[0] == "/bin/sh");
  CHECK(sh[2].find("echo 64 >$c/pids.max") != std::string::npos);
  CHECK(sh[2].ends_with("exec \"$0\" \"$@\" 4</proc/self/fd/4"));
}

TEST_CASE("launch: dropping to an account, the launcher makes the user namespace of its maps") {
  SKIP_UNLESS(geteuid() == 0, "only a root daemon drops to an account");
  LeafContext drop{"lf", "/w", Account{65534, 65534, {}, "nobody"}};
  CHECK(launch_argv("/hx", "", 0, drop) == Argv{"/hx", "--launch", "--new-session", "--reopen", "4",
                                                "--uid-map", "0 0 1\n65534 65534 1\n", "--gid-map",
                                                "0 0 1\n65534 65534 1\n", "--"});
}

}  // namespace
