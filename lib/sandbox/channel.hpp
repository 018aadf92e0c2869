#pragma once
// The persistent channel: one long-lived shell in a sandbox (a POSIX sh, or the harness-exec
// helper), fed framed commands on stdin (wire.hpp). Loop thread only. Completion callbacks run on
// the loop thread and may destroy the Channel.

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/loop/process.hpp"
#include "lib/loop/timer.hpp"
#include "lib/sandbox/exec.hpp"
#include "lib/sandbox/wire.hpp"

namespace harness::sandbox {

class Channel {
 public:
  using Done = std::function<void(harness::Result<ExecResult>)>;

  // `argv` from Driver::shell_argv; `env` is the COMPLETE environment of the sandbox process
  // (brain/hands split: the daemon's env never leaks in); `protocol` from
  // Driver::channel_protocol, what the process argv starts speaks. Nothing starts until the
  // first exec(). `extra_fds` (Driver::inherited_fds) must stay open as long as the Channel may
  // (re)start.
  Channel(uv_loop_t* loop, std::vector<std::string> argv, std::vector<std::string> env,
          ChannelLimits limits, ChannelProtocol protocol, std::vector<int> extra_fds = {});
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  // Kills the shell and its process group. Pending callbacks are dropped, not called.
  ~Channel();

  // Runs one command (FIFO: queued while another runs). Opens the shell lazily; if the shell dies
  // before the command started it is reopened once and the command retried. Error unavailable =
  // the sandbox could not start or died (message says why, incl. the shell's stderr); a command's
  // own failure is an ExecResult with its exit code; timed_out when the deadline passed.
  void exec(ExecRequest req, Done done);
  // Starts the shell now rather than with the first exec(), so that exec finds it ready. A shell
  // that cannot start is not reported here: the first exec() tries again and says why.
  void start();
  // Kills the shell; pending execs complete with unavailable. Idempotent; a later exec reopens.
  void close();
  bool is_open() const { return m_proc != nullptr; }
  // How many shells were started (tests/benchmarks).
  int spawn_count() const { return m_spawn_count; }

 private:
  struct Pending {
    ExecRequest req;
    Done done;
    int attempts = 0;
  };
  struct InFlight {
    Pending p;
    std::uint64_t started_ms;
  };

  void pump();
  Status open_shell();
  // False if the Channel was destroyed by a completion callback.
  bool send_front();
  void on_stdout(std::uint64_t gen, std::string_view data);
  void on_stderr(std::uint64_t gen, std::string_view data);
  void on_exit(std::uint64_t gen, std::int64_t status, int sig);
  void check_dead();
  void on_dead();
  void on_backstop();
  void retire_shell();
  // Calls done(r); returns false if the Channel was destroyed by the callback.
  bool complete(Pending p, harness::Result<ExecResult> r);
  std::string death_reason() const;

  uv_loop_t* m_loop;
  std::vector<std::string> m_argv;
  std::vector<std::string> m_env;
  ChannelLimits m_limits;
  std::vector<int> m_extra_fds;
  ChannelProtocol m_protocol;
  std::unique_ptr<Wire> m_wire;  // the current (or last) shell's; replaced at each start
  std::unique_ptr<loop::Process> m_proc;
  std::unique_ptr<loop::Process> m_retired;  // a killed shell, freed later (not in its callback)
  std::uint64_t m_gen = 0;                   // shell generation; stale callbacks are ignored
  bool m_out_eof = false;
  bool m_err_eof = false;
  bool m_exited = false;
  std::int64_t m_exit_status = 0;
  int m_exit_signal = 0;
  std::string m_stderr_tail;
  std::deque<Pending> m_queue;
  std::optional<InFlight> m_current;
  loop::Timer m_backstop;
  loop::Timer m_exit_grace;
  int m_spawn_count = 0;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

}  // namespace harness::sandbox
