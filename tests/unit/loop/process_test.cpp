#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <optional>
#include <string>

#include "lib/loop/process.hpp"

using namespace harness;
using harness::loop::Process;
using harness::loop::ProcessOptions;

namespace {

struct Captured {
  std::string out, err;
  bool out_eof = false, err_eof = false;
  std::optional<std::int64_t> status;
  int signal = 0;
};

Status spawn_into(Process& p, Captured& c, std::vector<std::string> argv,
                  std::vector<std::string> env = {"PATH=/usr/bin:/bin"}) {
  return p.spawn(
      ProcessOptions{std::move(argv), std::move(env), {}, {}},
      [&c](std::string_view d) { d.empty() ? void(c.out_eof = true) : void(c.out.append(d)); },
      [&c](std::string_view d) { d.empty() ? void(c.err_eof = true) : void(c.err.append(d)); },
      [&c](std::int64_t st, int sig) {
        c.status = st;
        c.signal = sig;
      });
}

void run_until(uv_loop_t* loop, const std::function<bool()>& done) {
  while (!done()) uv_run(loop, UV_RUN_ONCE);
}

}  // namespace

TEST_CASE("process: stdin in, stdout/stderr out, exit code, explicit env only") {
  setenv("HARNESS_PROCESS_TEST_LEAK", "leak", 1);
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Process p(&loop);
    Captured c;
    REQUIRE(spawn_into(p, c, {"sh", "-c", "read x; echo \"got $x\"; env >&2; exit 3"},
                       {"PATH=/usr/bin:/bin", "ONLY=me"}));
    CHECK(p.running());
    CHECK(p.pid() > 0);
    CHECK(p.write("hello\n"));
    p.close_stdin();
    run_until(&loop, [&] { return c.status && c.out_eof && c.err_eof; });
    CHECK(*c.status == 3);
    CHECK(c.out == "got hello\n");
    CHECK(c.err.find("ONLY=me") != std::string::npos);
    CHECK(c.err.find("HARNESS_PROCESS_TEST_LEAK") == std::string::npos);
    CHECK_FALSE(p.running());
    CHECK(p.pending_write_bytes() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  unsetenv("HARNESS_PROCESS_TEST_LEAK");
}

TEST_CASE("process: a missing binary fails at spawn with its name and the reason") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Process p(&loop);
    Captured c;
    auto st = spawn_into(p, c, {"/nonexistent/prog"});
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().code == ErrorCode::unavailable);
    CHECK(st.error().message == "/nonexistent/prog: no such file or directory");
    CHECK_FALSE(p.running());
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("process: kill_group reaches the child's own children") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    Process p(&loop);
    Captured c;
    // The grandchild holds stdout open; only a group kill gives EOF promptly.
    REQUIRE(spawn_into(p, c, {"sh", "-c", "sleep 100 & echo started; wait"}));
    run_until(&loop, [&] { return !c.out.empty(); });
    auto start = std::chrono::steady_clock::now();
    p.kill_group(SIGTERM);
    run_until(&loop, [&] { return c.status && c.out_eof; });
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    CHECK(c.signal == SIGTERM);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("process: destroying a running process kills it and the loop still closes cleanly") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Captured c;
  auto start = std::chrono::steady_clock::now();
  {
    auto p = std::make_unique<Process>(&loop);
    REQUIRE(spawn_into(*p, c, {"sh", "-c", "sleep 100 & sleep 100"}));
    uv_run(&loop, UV_RUN_NOWAIT);
  }
  // The orphaned process handle lives until the child is reaped, then frees itself.
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK_FALSE(c.status.has_value());  // no callback after destruction
  CHECK(uv_loop_close(&loop) == 0);
}
