// Loop thread only: the shell's pipes, its exit and both timers all call back on the loop.
//
// The channel. A driver supplies the argv of a long-lived process in its sandbox, with its cwd
// at the workspace, and says which protocol it speaks (wire.hpp):
// - harness-exec (exec_protocol.hpp, exec_wire.h): binary frames; the helper forks /bin/sh -c
//   per command, captures head and tail of its output in memory and enforces the timeout itself.
// - the POSIX sh protocol (below), for sandboxes where the helper cannot be placed; everything it
//   needs is sh + busybox-level base64, head, tail, wc, mkdir, rm, setsid, kill, sleep.
// What the channel does around either is the same: one command at a time (FIFO), a backstop
// deadline, reopening a shell that died before the command started (step 4 below).
//
// The sh protocol:
// 1. On start the daemon writes a bootstrap (protocol.cpp): ulimits, a private dir
//    <private_dir>/<channel nonce>, and the functions __h_put and __h_run.
// 2. Per command, with a fresh 16-hex nonce N, the daemon writes
//        __h_put c.N <<'__HARNESS_N'      (base64 of the command text, 76-char lines)
//        [__h_put i.N <<'__HARNESS_N'     (base64 of the stdin data, if any)]
//        __h_run N TIMEOUT_S CAP STDIN_FLAG
//    The terminator contains '_', which base64 never produces, so no payload can end a heredoc.
// 3. __h_run prints "__HARNESS_ACK_N" (the command has started), runs `setsid sh c.N` as its
//    own process group with stdin from i.N or /dev/null (it never reads the protocol) and
//    stdout/stderr to files (size-limited by ulimit -f). A setsid'd watchdog sleeps TIMEOUT_S,
//    marks the timeout, sends TERM to the group, and KILL after the grace. Then it prints
//        __HARNESS_RES_N <exit code> <timed out 0|1> <stdout bytes> <stderr bytes>
//        base64(out head) "." base64(out tail) "." base64(err head) "." base64(err tail) "."
//        __HARNESS_END_N
//    A stream over 2*CAP bytes sends its first and last CAP bytes (the daemon joins them with
//    an elision marker); otherwise all of it in "head" and an empty "tail".
// 4. The daemon scans stdout for N's markers (everything else is ignored, memory bounded by the
//    caps), and has a backstop deadline (timeout + kill grace + backstop grace): if no end
//    marker arrives by then it kills the shell and reports timed_out. A shell that dies before
//    acknowledging a command is reopened once and the command resent; after that, or when it
//    dies mid-command, the command fails unavailable with the shell's stderr. (harness-exec:
//    "acknowledged" = its hello arrived; its RESULT frame is the end marker.)
#include "lib/sandbox/channel.hpp"

#include <csignal>

namespace harness::sandbox {
namespace {

constexpr std::size_t k_stderr_tail = 4096;
constexpr std::uint64_t k_exit_grace_ms = 1000;

std::uint64_t now_ms() {
  return uv_hrtime() / 1'000'000;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

Channel::Channel(uv_loop_t* loop, std::vector<std::string> argv, std::vector<std::string> env,
                 ChannelLimits limits, ChannelProtocol protocol, std::vector<int> extra_fds)
    : m_loop(loop),
      m_argv(std::move(argv)),
      m_env(std::move(env)),
      m_limits(std::move(limits)),
      m_extra_fds(std::move(extra_fds)),
      m_protocol(protocol),
      m_backstop(loop),
      m_exit_grace(loop) {}

Channel::~Channel() {
  *m_alive = false;
}

void Channel::exec(ExecRequest req, Done done) {
  m_queue.push_back(Pending{std::move(req), std::move(done)});
  pump();
}

void Channel::start() {
  if (!m_proc) (void)open_shell();
}

void Channel::close() {
  retire_shell();
  m_backstop.stop();
  std::vector<Pending> pending;
  if (m_current) pending.push_back(std::move(m_current->p));
  m_current.reset();
  for (auto& p : m_queue) pending.push_back(std::move(p));
  m_queue.clear();
  for (auto& p : pending)
    if (!complete(std::move(p),
                  make_error(ErrorCode::unavailable, m_limits.name + ": channel closed")))
      return;
}

void Channel::pump() {
  while (!m_current && !m_queue.empty()) {
    if (!m_proc) {
      auto st = open_shell();
      if (!st) {
        Pending p = std::move(m_queue.front());
        m_queue.pop_front();
        if (!complete(std::move(p), st.error())) return;
        continue;
      }
    }
    if (!send_front()) return;
  }
}

Status Channel::open_shell() {
  if (m_argv.empty()) return make_error(ErrorCode::unavailable, m_limits.name + ": no shell argv");
  auto proc = std::make_unique<loop::Process>(m_loop);
  std::uint64_t gen = ++m_gen;
  m_out_eof = m_err_eof = m_exited = false;
  m_stderr_tail.clear();
  auto st = proc->spawn(
      loop::ProcessOptions{m_argv, m_env, {}, m_extra_fds},
      [this, gen](std::string_view d) { on_stdout(gen, d); },
      [this, gen](std::string_view d) { on_stderr(gen, d); },
      [this, gen](std::int64_t status, int sig) { on_exit(gen, status, sig); });
  if (!st) {
    return make_error(ErrorCode::unavailable,
                      m_limits.name + " could not start: " + st.error().message);
  }
  ++m_spawn_count;
  m_wire = make_wire(m_protocol, m_limits);
  proc->write(m_wire->greeting());
  m_proc = std::move(proc);
  return {};
}

bool Channel::send_front() {
  Pending p = std::move(m_queue.front());
  m_queue.pop_front();
  auto frame = m_wire->begin(p.req);
  if (!frame) return complete(std::move(p), frame.error());
  std::int64_t deadline = ((p.req.timeout_ms + 999) / 1000) * 1000 + m_limits.kill_grace_ms +
                          m_limits.backstop_grace_ms;
  m_current.emplace(InFlight{std::move(p), now_ms()});
  m_backstop.start(static_cast<std::uint64_t>(deadline), [this] { on_backstop(); });
  // A failed write means the shell is gone; its exit path resends or fails the command.
  m_proc->write(std::move(*frame));
  return true;
}

void Channel::on_stdout(std::uint64_t gen, std::string_view data) {
  if (gen != m_gen) return;
  if (data.empty()) {
    m_out_eof = true;
    check_dead();
    return;
  }
  m_wire->feed(data);
  if (!m_current) {
    // Nothing was asked: a shell saying something it cannot have meant is not trusted again.
    if (m_wire->malformed()) retire_shell();
    return;
  }
  if (m_wire->done()) {
    m_backstop.stop();
    ExecResult r = m_wire->result();
    r.duration_ms = static_cast<std::int64_t>(now_ms() - m_current->started_ms);
    Pending p = std::move(m_current->p);
    m_current.reset();
    // Bytes after a complete answer: the answer stands, the shell is not used again.
    if (m_wire->malformed()) retire_shell();
    if (complete(std::move(p), std::move(r))) pump();
    return;
  }
  if (!m_wire->malformed()) return;
  retire_shell();
  m_backstop.stop();
  Pending p = std::move(m_current->p);
  m_current.reset();
  auto err = make_error(ErrorCode::unavailable,
                        m_limits.name + ": malformed reply from the sandbox shell");
  if (complete(std::move(p), err)) pump();
}

void Channel::on_stderr(std::uint64_t gen, std::string_view data) {
  if (gen != m_gen) return;
  if (data.empty()) {
    m_err_eof = true;
    check_dead();
    return;
  }
  m_stderr_tail.append(data);
  if (m_stderr_tail.size() > k_stderr_tail)
    m_stderr_tail.erase(0, m_stderr_tail.size() - k_stderr_tail);
}

void Channel::on_exit(std::uint64_t gen, std::int64_t status, int sig) {
  if (gen != m_gen) return;
  m_exited = true;
  m_exit_status = status;
  m_exit_signal = sig;
  // Something may still hold the pipes open; don't wait for their EOF forever.
  m_exit_grace.start(k_exit_grace_ms, [this, gen] {
    if (gen == m_gen) on_dead();
  });
  check_dead();
}

void Channel::check_dead() {
  if (m_exited && m_out_eof && m_err_eof) on_dead();
}

void Channel::on_dead() {
  std::string reason = death_reason();
  retire_shell();
  m_backstop.stop();
  if (m_current) {
    InFlight cur = std::move(*m_current);
    m_current.reset();
    if (!m_wire->started() && cur.p.attempts == 0) {
      cur.p.attempts++;
      m_queue.push_front(std::move(cur.p));
    } else if (!complete(std::move(cur.p), make_error(ErrorCode::unavailable, reason))) {
      return;
    }
  }
  pump();
}

void Channel::on_backstop() {
  if (!m_current) return;
  retire_shell();
  Pending p = std::move(m_current->p);
  ExecResult r;
  r.timed_out = true;
  r.exit_code = 128 + SIGKILL;
  r.duration_ms = static_cast<std::int64_t>(now_ms() - m_current->started_ms);
  r.err = m_limits.name + ": no answer within the deadline; the sandbox shell was killed";
  m_current.reset();
  if (complete(std::move(p), std::move(r))) pump();
}

void Channel::retire_shell() {
  if (!m_proc) return;
  m_proc->kill_group(SIGKILL);
  m_retired = std::move(m_proc);
  ++m_gen;
  m_exit_grace.stop();
}

bool Channel::complete(Pending p, harness::Result<ExecResult> r) {
  auto alive = m_alive;
  if (p.done) p.done(std::move(r));
  return *alive;
}

std::string Channel::death_reason() const {
  bool started = m_current && m_wire && m_wire->started();
  std::string what = started ? m_limits.name + ": the sandbox shell died while running the command"
                             : m_limits.name + " could not start";
  std::string detail = trimmed(m_stderr_tail);
  if (detail.empty() && m_exited) {
    detail = m_exit_signal ? "killed by signal " + std::to_string(m_exit_signal)
                           : "exited with status " + std::to_string(m_exit_status);
  }
  return detail.empty() ? what : what + ": " + detail;
}

}  // namespace harness::sandbox
