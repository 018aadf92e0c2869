#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include "lib/sandbox/protocol.hpp"
#include "tests/unit/sandbox/sandbox_fixture.hpp"

using namespace harness;
using namespace harness::sandbox;
using harness::sandbox::testing::SandboxFixture;

CHANNEL_TEST("channel: a command's stdout, stderr and real exit code come back") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  auto r = f.exec("echo hello; echo oops >&2; exit 42");
  REQUIRE(r.has_value());
  CHECK(r->exit_code == 42);
  CHECK(r->out == "hello\n");
  CHECK(r->err == "oops\n");
  CHECK_FALSE(r->timed_out);
  CHECK_FALSE(r->truncated);

  auto sig = f.exec("kill -9 $$");
  REQUIRE(sig.has_value());
  CHECK(sig->exit_code == 128 + 9);
}

CHANNEL_TEST("channel: binary output with NUL bytes and protocol-looking text round-trips") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  auto r = f.exec("printf 'a\\000b\\377\\n__HARNESS_END_x\\n.\\n'");
  REQUIRE(r.has_value());
  const char expected[] = "a\0b\xff\n__HARNESS_END_x\n.\n";
  CHECK(r->out == std::string(expected, sizeof(expected) - 1));
}

CHANNEL_TEST("channel: 100 sequential commands share one shell") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  for (int i = 0; i < 100; ++i) {
    auto r = f.exec("echo " + std::to_string(i));
    REQUIRE(r.has_value());
    CHECK(r->out == std::to_string(i) + "\n");
  }
  CHECK(f.channel->spawn_count() == 1);
  CHECK(f.channel->is_open());
}

CHANNEL_TEST("channel: queued commands complete in FIFO order") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i) {
    ExecRequest req;
    req.command = "echo " + std::to_string(i);
    f.channel->exec(req, [&](Result<ExecResult> r) { got.push_back(r ? r->out : "error"); });
  }
  f.run_until([&] { return got.size() == 5; });
  CHECK(got == std::vector<std::string>{"0\n", "1\n", "2\n", "3\n", "4\n"});
}

CHANNEL_TEST("channel: a timeout kills the command's whole process group; the channel goes on") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  auto start = std::chrono::steady_clock::now();
  auto r = f.exec("sleep 100 & sleep 100", 1000);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(r.has_value());
  CHECK(r->timed_out);
  CHECK(r->exit_code == 128 + 15);
  CHECK(took < std::chrono::seconds(8));
  // No `sleep 100` survived in the sandbox (pid namespace: only our own processes are visible).
  auto ps = f.exec("for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null; echo; done");
  REQUIRE(ps.has_value());
  CHECK(ps->out.find("sleep100") == std::string::npos);
  CHECK(ps->out.find(std::string("sleep\0"
                                 "100",
                                 9)) == std::string::npos);
  CHECK(f.channel->spawn_count() == 1);
}

CHANNEL_TEST("channel: output over the cap comes back as head + elision marker + tail") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  ExecRequest req;
  // 5 MB: 'A' * 1 MiB, then 'B'... ending in "END".
  req.command = "head -c 5000000 /dev/zero | tr '\\0' x; printf END; head -c 100 /dev/zero >&2";
  req.output_cap = 1000;
  auto r = f.exec(req);
  REQUIRE(r.has_value());
  CHECK(r->truncated);
  CHECK(r->out_bytes == 5'000'003);
  std::string marker = "\n…[" + std::to_string(5'000'003 - 2000) + " bytes elided]…\n";
  CHECK(r->out == std::string(1000, 'x') + marker + std::string(997, 'x') + "END");
  CHECK(r->err == std::string(100, '\0'));
}

CHANNEL_TEST(
    "channel: stdin data reaches the command; a command reading stdin can't eat the protocol") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  ExecRequest req;
  req.command = "cat";
  req.stdin_data = std::string("line1\n\0binary\n", 14);
  auto r = f.exec(req);
  REQUIRE(r.has_value());
  CHECK(r->out == req.stdin_data);

  auto r2 = f.exec("cat; read x; echo \"read:$x\"");
  REQUIRE(r2.has_value());
  CHECK(r2->out == "read:\n");
  auto r3 = f.exec("echo still-here");
  REQUIRE(r3.has_value());
  CHECK(r3->out == "still-here\n");
}

CHANNEL_TEST("channel: the sandbox environment is the explicit allowlist only") {
  SKIP_WITHOUT_BWRAP();
  setenv("HARNESS_TEST_SECRET", "s3cret", 1);
  model::SandboxProfile p;
  p.env = {"ALLOWED_VAR=yes"};
  SandboxFixture f(p, P::value);
  auto r = f.exec("env");
  REQUIRE(r.has_value());
  CHECK(r->out.find("HARNESS_TEST_SECRET") == std::string::npos);
  CHECK(r->out.find("s3cret") == std::string::npos);
  CHECK(r->out.find("ALLOWED_VAR=yes") != std::string::npos);
  CHECK(r->out.find("HOME=/workspace") != std::string::npos);
  unsetenv("HARNESS_TEST_SECRET");
}

CHANNEL_TEST("channel: network is off unless the profile allows it") {
  SKIP_WITHOUT_BWRAP();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(listen(fd, 4) == 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string port = std::to_string(ntohs(addr.sin_port));

  SandboxFixture f({}, P::value);
  auto r = f.exec("cat /proc/net/dev | tail -n +3 | cut -d: -f1; busybox nc -w 2 127.0.0.1 " +
                  port + " </dev/null && echo CONNECTED");
  REQUIRE(r.has_value());
  CHECK(r->out.find("lo") != std::string::npos);
  CHECK(r->out.find("eth") == std::string::npos);
  CHECK(r->out.find("CONNECTED") == std::string::npos);
  ::close(fd);
}

CHANNEL_TEST("channel: the workspace is writable, the rest of the filesystem is not") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  auto r = f.exec(
      "pwd; echo data > note.txt && echo ok; echo x > /usr/evil || echo usr-ro; "
      "echo x > /etc/evil || echo etc-ro; touch /evil || echo root-ro");
  REQUIRE(r.has_value());
  CHECK(r->out == "/workspace\nok\nusr-ro\netc-ro\nroot-ro\n");
  std::ifstream in(f.workspace + "/note.txt");
  std::string content;
  std::getline(in, content);
  CHECK(content == "data");
  CHECK(access("/usr/evil", F_OK) != 0);
}

CHANNEL_TEST("channel: a shell argv that cannot execute fails unavailable, never on the host") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  LeafContext ctx{"lf_x", f.workspace};
  auto argv = *f.driver->shell_argv(ctx);
  argv[0] = "/nonexistent/bwrap";
  f.open(argv, sandbox_env(f.profile), f.driver->inherited_fds(ctx));
  std::string marker = f.workspace + "/ran-on-host";
  auto r = f.exec("touch " + marker);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find("bwrap") != std::string::npos);
  CHECK(r.error().message.find("no such file or directory") != std::string::npos);
  CHECK(access(marker.c_str(), F_OK) != 0);
  CHECK(f.channel->spawn_count() == 0);
}

CHANNEL_TEST("channel: bwrap failing to start reports bwrap's own stderr") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  LeafContext ctx{"lf_x", "/nonexistent/workspace"};
  auto argv = *f.driver->shell_argv(ctx);
  f.open(argv, sandbox_env(f.profile), f.driver->inherited_fds(ctx));
  auto r = f.exec("echo hi");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find("could not start") != std::string::npos);
  CHECK(r.error().message.find("/nonexistent/workspace") != std::string::npos);
  CHECK(f.channel->spawn_count() == 2);  // reopened once, then gave up
}

CHANNEL_TEST("channel: a shell that died while idle is reopened on the next command") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  REQUIRE(f.exec("echo one").has_value());
  // The command kills its parent, the channel's shell, mid-command.
  auto r = f.exec("kill -9 $PPID; sleep 5");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("died while running") != std::string::npos);
  auto r2 = f.exec("echo two");
  REQUIRE(r2.has_value());
  CHECK(r2->out == "two\n");
  CHECK(f.channel->spawn_count() == 2);
}

CHANNEL_TEST("channel: close() fails pending commands and a later exec reopens") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  std::vector<Result<ExecResult>> got;
  for (int i = 0; i < 2; ++i)
    f.channel->exec(ExecRequest{"sleep 30", "", 30000, 1024},
                    [&](Result<ExecResult> r) { got.push_back(r); });
  uv_run(&f.loop, UV_RUN_NOWAIT);
  f.channel->close();
  f.channel->close();
  REQUIRE(got.size() == 2);
  CHECK_FALSE(got[0].has_value());
  CHECK(got[0].error().code == ErrorCode::unavailable);
  CHECK_FALSE(f.channel->is_open());
  auto r = f.exec("echo back");
  REQUIRE(r.has_value());
  CHECK(r->out == "back\n");
  CHECK(f.channel->spawn_count() == 2);
}

TEST_CASE("channel: the protocol needs only busybox sh and busybox applets") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f;
  SKIP_UNLESS(f.use_busybox_only(), "/bin/busybox (busybox-static) is not installed");
  auto r = f.exec("command -v base64; echo hi; echo err >&2; exit 3");
  if (!r) FAIL(r.error().message);
  // busybox sh may run its own applet directly ("base64") or via PATH; never coreutils'.
  CHECK((r->out == "base64\nhi\n" || r->out == "/bb/base64\nhi\n"));
  CHECK(r->err == "err\n");
  CHECK(r->exit_code == 3);
  auto t = f.exec("sleep 100 & sleep 100", 1000);
  REQUIRE(t.has_value());
  CHECK(t->timed_out);
  ExecRequest big;
  big.command = "head -c 300000 /dev/zero";
  big.output_cap = 100;
  auto b = f.exec(big);
  REQUIRE(b.has_value());
  CHECK(b->truncated);
  CHECK(b->out.size() == 200 + protocol::elision_marker(300000 - 200).size());
  CHECK(f.channel->spawn_count() == 1);
}

CHANNEL_TEST("channel: a shell that never answers hits the daemon's backstop deadline") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  LeafContext ctx{"lf_mute", f.workspace};
  auto argv = *f.driver->shell_argv(ctx);
  argv.back() = "/bin/sh";
  argv.insert(argv.end(), {"-c", "cat >/dev/null"});  // reads commands, never replies
  auto limits = channel_limits(f.profile);
  limits.kill_grace_ms = 100;
  limits.backstop_grace_ms = 200;
  f.channel = std::make_unique<Channel>(&f.loop, argv, sandbox_env(f.profile), limits, P::value,
                                        f.driver->inherited_fds(ctx));
  auto start = std::chrono::steady_clock::now();
  auto r = f.exec("echo hi", 1000);
  REQUIRE(r.has_value());
  CHECK(r->timed_out);
  CHECK(r->exit_code == 128 + 9);
  CHECK(r->err.find("no answer") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_FALSE(f.channel->is_open());
}

CHANNEL_TEST("channel: captured output is bounded by the file size limit or held in memory") {
  SKIP_WITHOUT_BWRAP();
  model::SandboxProfile p;
  p.file_size_mb = 1;
  SandboxFixture f(p, P::value);
  ExecRequest req;
  req.command = "head -c 3000000 /dev/zero; s=$?; head -c 2000000 /dev/zero >big; echo $s $? >&2";
  req.output_cap = 100;
  auto r = f.exec(req);
  REQUIRE(r.has_value());
  CHECK(r->truncated);
  std::string xfsz = std::to_string(128 + SIGXFSZ);
  if (f.protocol == ChannelProtocol::sh) {
    // Output goes to capture files, so the file size limit stops the output at 1 MiB too.
    CHECK(r->out_bytes == 1024 * 1024);
    CHECK(r->err.ends_with("\n" + xfsz + " " + xfsz + "\n"));
  } else {
    // harness-exec keeps only head and tail of the output in memory, whatever its size; the
    // files a command writes are capped all the same.
    CHECK(r->out_bytes == 3'000'000);
    CHECK(r->err.ends_with("\n0 " + xfsz + "\n"));
  }
}

CHANNEL_TEST("channel: a command longer than an exec argument and a megabyte of stdin run") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  std::string script = "x=0\n";
  for (int i = 0; i < 20000; ++i) script += "x=$((x+1))\n";  // ~240 KB: over execve's 128 KiB
  script += "echo $x; wc -c";
  ExecRequest req;
  req.command = script;
  req.stdin_data.assign(1'000'000, 'y');
  auto r = f.exec(req);
  REQUIRE(r.has_value());
  CHECK(r->exit_code == 0);
  CHECK(r->out == "20000\n1000000\n");
}

CHANNEL_TEST("channel: a command ignoring TERM is killed after the grace") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  auto start = std::chrono::steady_clock::now();
  auto r = f.exec("trap '' TERM; echo started; sleep 100", 1000);
  REQUIRE(r.has_value());
  CHECK(r->timed_out);
  CHECK(r->exit_code == 128 + SIGKILL);
  CHECK(r->out == "started\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(8));
  auto next = f.exec("echo next");
  REQUIRE(next.has_value());
  CHECK(next->out == "next\n");
}

CHANNEL_TEST("channel: a process that left the group does not hold the command open") {
  SKIP_WITHOUT_BWRAP();
  SandboxFixture f({}, P::value);
  auto start = std::chrono::steady_clock::now();
  auto r = f.exec("setsid sh -c 'sleep 20; echo late' & echo now");
  REQUIRE(r.has_value());
  CHECK(r->exit_code == 0);
  CHECK(r->out.substr(0, 4) == "now\n");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
