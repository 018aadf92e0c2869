// The bwrap sandbox's hardening, observed from inside a real sandbox: the seccomp filter, the
// process limit, bounded tmpfs, read-only /dev, what of the host is (not) visible.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "lib/sandbox/bwrap_driver.hpp"
#include "lib/sandbox/seccomp.hpp"
#include "tests/unit/sandbox/sandbox_fixture.hpp"

namespace harness::sandbox {
namespace {

using testing::SandboxFixture;

// Runs a python3 snippet inside the sandbox; python3 comes from the host's read-only /usr.
std::string py(SandboxFixture& f, const std::string& code) {
  auto r = f.exec("python3 -c '" + code + "' 2>&1; echo rc=$?");
  REQUIRE(r.has_value());
  return r->out;
}

TEST_CASE("seccomp: the filter builds and is readable from its path by any child") {
  auto bpf = seccomp::filter_bpf();
  if (!bpf) FAIL(bpf.error().message);
  CHECK(bpf->size() % 8 == 0);
  CHECK(bpf->size() > 8 * 20);
  auto path = seccomp::filter_path();
  REQUIRE(path.has_value());
  std::ifstream in(*path, std::ios::binary);
  std::string read((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(read == *bpf);
  // Sealed: nobody can change the filter later sandboxes will load.
  int fd = open(path->c_str(), O_WRONLY);
  if (fd >= 0) {
    CHECK(write(fd, "x", 1) < 0);
    close(fd);
  }
}

TEST_CASE("bwrap: a missing binary is refused before anything starts, saying how to fix it") {
  model::SandboxProfile p;
  p.name = "nobin";
  p.binary = "/nonexistent/bwrap";
  auto argv = BwrapDriver(p).shell_argv(LeafContext{"lf", "/tmp"});
  REQUIRE_FALSE(argv.has_value());
  CHECK(argv.error().code == ErrorCode::unavailable);
  CHECK(argv.error().message.find("apt-get install bubblewrap") != std::string::npos);
  p.binary = "no-such-bwrap-binary";
  CHECK_FALSE(BwrapDriver(p).shell_argv(LeafContext{"lf", "/tmp"}).has_value());
}

TEST_CASE("bwrap: terminal injection is refused (TIOCSTI, TIOCLINUX, high bits set)") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f;
  std::string out = py(f,
                       "import os, fcntl, termios\n"
                       "m, s = os.openpty()\n"
                       "for req in (termios.TIOCSTI, 0x541C, termios.TIOCSTI | (1 << 32)):\n"
                       "    try:\n"
                       "        fcntl.ioctl(s, req, b\"x\"); print(\"allowed\")\n"
                       "    except OSError as e:\n"
                       "        print(e.errno)\n");
  CHECK(out == "1\n1\n1\nrc=0\n");
}

TEST_CASE("bwrap: nested namespaces, ptrace, personality, keyrings and x32 are refused") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f;
  // Without the filter unshare(2) fails ENOSPC (--disable-userns) and PTRACE_TRACEME works.
  auto r = f.exec("unshare -U true; unshare -n true; unshare --mount true; setarch -R true");
  REQUIRE(r.has_value());
  CHECK(r->err.find("Operation not permitted") != std::string::npos);
  CHECK(r->err.find("No space left") == std::string::npos);
  std::string out = py(f,
                       "import ctypes, os\n"
                       "libc = ctypes.CDLL(None, use_errno=True)\n"
                       "for nr, args in ((101, (0, 0, 0, 0)), (250, (0, 0, 0, 0)),\n"
                       "                 (321, (0, 0, 0)), (323, (0,)), (298, (0, 0, 0, 0, 0)),\n"
                       "                 (435, (0, 0))):\n"
                       "    rc = libc.syscall(nr, *args)\n"
                       "    print(nr, rc, ctypes.get_errno())\n"
                       "os.sys.stdout.flush()\n"
                       "libc.syscall(0x40000000 | 39)\n"
                       "print(\"x32 allowed\")\n");
  // ptrace, keyctl, bpf, userfaultfd, perf_event_open: EPERM; clone3: ENOSYS; an x32 call
  // kills the process (SIGSYS, 128 + 31).
  CHECK(out.find("101 -1 1\n250 -1 1\n321 -1 1\n323 -1 1\n298 -1 1\n435 -1 38\n") == 0);
  CHECK(out.find("x32 allowed") == std::string::npos);
  CHECK(out.find("rc=159\n") != std::string::npos);
}

TEST_CASE(
    "bwrap: the process limit holds (rlimit, or a pids cgroup for root); a bomb ends with its "
    "call") {
  SKIP_WITHOUT_BWRAP();
  model::SandboxProfile p;
  p.pids_max = 40;
  SandboxFixture f(p);
  auto r = f.exec("i=0; while [ $i -lt 100 ]; do sleep 30 & i=$((i+1)); done");
  INFO(r->out << r->err);
  REQUIRE(r.has_value());
  CHECK(r->exit_code != 0);
  CHECK(r->err.find("fork") != std::string::npos);
  CHECK(r->duration_ms < 10'000);
  // The background sleeps died with their command: the sandbox holds only the channel again.
  // (Killed is not yet reaped: on a loaded machine the sandbox's init may take a moment.)
  int left = 0;
  for (int i = 0; i < 50; ++i) {
    auto ps = f.exec("ls /proc | grep -c '^[0-9]'");
    REQUIRE(ps.has_value());
    left = std::stoi(ps->out);
    if (left < 10) break;
    usleep(100'000);
  }
  CHECK(left < 10);
  auto bomb = f.exec("b() { b | b & }; b; sleep 1; echo survived", 20'000);
  REQUIRE(bomb.has_value());
  CHECK(f.exec("echo alive")->out == "alive\n");
}

TEST_CASE("bwrap: /tmp and /dev/shm are bounded, /dev and the root are read-only") {
  SKIP_WITHOUT_BWRAP();
  model::SandboxProfile p;
  p.file_size_mb = 4;
  SandboxFixture f(p);
  // Each tmpfs holds 2 * 4 + 16 = 24 MiB: the ninth 3 MB file does not fit.
  auto r = f.exec(
      "head -c 3000000 /dev/zero > /tmp/a && echo a-ok; "
      "for i in 1 2 3 4 5 6 7 8 9; do head -c 3000000 /dev/zero > /tmp/b$i || echo tmp-full$i; "
      "done; for i in 1 2 3 4 5 6 7 8 9; do head -c 3000000 /dev/zero > /dev/shm/$i || "
      "echo shm-full$i; done; echo x > /dev/evil || echo dev-ro; echo x > /dev/null && echo ok");
  REQUIRE(r.has_value());
  CHECK(r->out == "a-ok\ntmp-full8\ntmp-full9\nshm-full9\ndev-ro\nok\n");
  CHECK(r->err.find("No space left on device") != std::string::npos);
}

TEST_CASE("bwrap: only the leaf's workspace of the host is visible and writable") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f;
  std::string sibling = testing::make_temp_dir();
  auto r = f.exec("ls " + sibling + " /var/lib /home /root 2>&1 | grep -c 'No such file'; " +
                  "cat /proc/1/environ | tr '\\0' '\\n' | sort; echo ---; ls -a /workspace/..");
  std::filesystem::remove_all(sibling);
  REQUIRE(r.has_value());
  CHECK(r->out.find("4\n") == 0);
  // pid 1 is bwrap's init, started with the sandbox environment only.
  CHECK(r->out.find("HOME=/workspace\n") != std::string::npos);
  CHECK(r->out.find("HARNESS") == std::string::npos);
  CHECK(r->out.find("---\n") != std::string::npos);
}

}  // namespace
}  // namespace harness::sandbox
