// harness-exec on its own, outside any sandbox: what the channel tests cannot reach (its stdin
// closing, cwd, bad frames, its memory while a command floods it).
#include "lib/sandbox/exec_helper.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "lib/sandbox/exec_protocol.hpp"
#include "lib/sandbox/exec_wire.h"

using namespace harness;
using namespace harness::sandbox;

extern char** environ;

namespace {

// One harness-exec child with its stdin and stdout as pipes.
struct Helper {
  pid_t pid = -1;
  int in = -1, out = -1;
  exec_protocol::Decoder decoder;
  std::uint64_t id = 0;

  Helper() {
    REQUIRE_MESSAGE(!exec_helper_path().empty(), "harness-exec is not built");
    int i[2], o[2];
    REQUIRE(pipe(i) == 0);
    REQUIRE(pipe(o) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, i[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    for (int fd : {i[0], i[1], o[0], o[1]}) posix_spawn_file_actions_addclose(&fa, fd);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char* argv[] = {const_cast<char*>(exec_helper_path().c_str()), nullptr};
    REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(i[0]);
    ::close(o[1]);
    in = i[1];
    out = o[0];
  }
  ~Helper() {
    close_stdin();
    if (out >= 0) ::close(out);
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
  void write_all(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      ssize_t n = ::write(in, s.data() + off, s.size() - off);
      REQUIRE(n > 0);
      off += static_cast<std::size_t>(n);
    }
  }
  void close_stdin() {
    if (in >= 0) ::close(in);
    in = -1;
  }
  void send(const ExecRequest& req, std::string_view cwd = {}) {
    decoder.expect(++id, req.output_cap, req.output_cap);
    write_all(*exec_protocol::encode_request(id, req, cwd));
  }
  // Reads until the awaited result (or EOF / malformed); nullopt then.
  std::optional<ExecResult> result() {
    char buf[65536];
    while (!decoder.done() && !decoder.malformed()) {
      ssize_t n = ::read(out, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    }
    if (decoder.malformed()) return std::nullopt;
    return decoder.result();
  }
  // The helper's exit status, waiting at most `limit`; nullopt if it is still running.
  std::optional<int> exit_status(std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }
  std::string proc_status(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
    return "";
  }
};

ExecRequest request(std::string command, std::int64_t cap = 1000) {
  ExecRequest r;
  r.command = std::move(command);
  r.output_cap = cap;
  r.timeout_ms = 20'000;
  return r;
}

// Gone, or a zombie nobody reaped yet.
bool dead(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  auto paren = stat.rfind(')');
  return stat.empty() || (paren != std::string::npos && stat.substr(paren + 2, 1) == "Z");
}

}  // namespace

TEST_CASE("harness-exec: says hello, answers, and exits 0 when its stdin closes") {
  Helper h;
  h.send(request("echo hi; exit 4"));
  auto r = h.result();
  REQUIRE(r.has_value());
  CHECK(h.decoder.hello());
  CHECK(r->out == "hi\n");
  CHECK(r->exit_code == 4);
  h.close_stdin();
  auto st = h.exit_status(std::chrono::seconds(5));
  REQUIRE(st.has_value());
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
}

TEST_CASE("harness-exec: stdin closing mid-command kills the command's group and exits") {
  char tmpl[] = "/tmp/hx-pid-XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  Helper h;
  h.send(request(std::string("sleep 60 & echo $! >") + tmpl + "; wait"));
  pid_t sleeper = 0;
  for (int i = 0; i < 500 && sleeper == 0; ++i) {
    std::ifstream in(tmpl);
    in >> sleeper;
    if (sleeper == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(sleeper > 0);
  h.close_stdin();
  auto st = h.exit_status(std::chrono::seconds(5));
  REQUIRE(st.has_value());
  CHECK(WEXITSTATUS(*st) == 0);
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = dead(sleeper);
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(gone);
  std::remove(tmpl);
}

TEST_CASE("harness-exec: runs in the requested cwd; a missing one fails the command only") {
  Helper h;
  h.send(request("pwd"), "/tmp");
  auto r = h.result();
  REQUIRE(r.has_value());
  CHECK(r->out == "/tmp\n");
  h.send(request("pwd"), "/nonexistent-dir");
  auto bad = h.result();
  REQUIRE(bad.has_value());
  CHECK(bad->exit_code == 2);
  CHECK(bad->err.find("cannot enter the working directory") != std::string::npos);
  h.send(request("echo still"));
  auto again = h.result();
  REQUIRE(again.has_value());
  CHECK(again->out == "still\n");
}

TEST_CASE("harness-exec: a malformed frame ends it with status 2 and a reason") {
  Helper h;
  h.write_all(std::string("garbage!"));
  auto st = h.exit_status(std::chrono::seconds(5));
  REQUIRE(st.has_value());
  CHECK(WEXITSTATUS(*st) == 2);
}

TEST_CASE("harness-exec: memory stays bounded by the caps whatever the command prints") {
  Helper h;
  h.send(request("head -c 200000000 /dev/zero; echo end", 1000));
  auto r = h.result();
  REQUIRE(r.has_value());
  CHECK(r->out_bytes == 200'000'004);
  CHECK(r->truncated);
  CHECK(r->out.substr(r->out.size() - 4) == "end\n");
  // A static binary with two 1000-byte captures: a few MB at most, never the 200 MB.
  std::istringstream hwm(h.proc_status("VmHWM"));
  long kb = 0;
  hwm >> kb;
  CHECK(kb > 0);
  CHECK(kb < 16 * 1024);
}
