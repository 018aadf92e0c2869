#pragma once
// A child process on the loop (uv_spawn) with stdin/stdout/stderr pipes. Loop thread only.
// The child runs in its own process group (setsid), so kill_group() reaches everything it
// started that did not leave the group. Destroying a running Process SIGKILLs the group; the
// uv_process_t then lives on until libuv reports the exit (so the zombie is reaped) and is freed
// there. Pipes are owned per handle.hpp and freed in their close callbacks.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/loop/handle.hpp"

namespace harness::loop {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up on the daemon's own PATH
  std::vector<std::string> env;   // the COMPLETE environment ("NAME=VALUE"); nothing inherited
  std::string cwd;                // empty = the daemon's cwd
  // Descriptors of ours the child inherits: element i becomes the child's fd 3 + i (-1 = none).
  // The child has its own copy from the start, so the caller may close them after spawn().
  std::vector<int> extra_fds;
};

class Process {
 public:
  // Called with each chunk read; an empty view means EOF on that stream.
  using DataFn = std::function<void(std::string_view)>;
  // exit_status is the exit code, term_signal the signal that ended it (0 if none).
  using ExitFn = std::function<void(std::int64_t exit_status, int term_signal)>;

  explicit Process(uv_loop_t* loop);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  // Starts the child (and ignores SIGPIPE process-wide if it was defaulted). Fails (unavailable,
  // "ARGV0: reason") if it cannot be executed; then no callback is ever called. At most one spawn
  // per Process. Callbacks may destroy the Process.
  Status spawn(ProcessOptions opts, DataFn on_stdout, DataFn on_stderr, ExitFn on_exit);
  // Queues bytes for the child's stdin; returns false if stdin is closed or the write failed.
  bool write(std::string data);
  // Closes the child's stdin (EOF) once pending writes are flushed.
  void close_stdin();
  // Sends `sig` to the child's whole process group; no-op once it has exited.
  void kill_group(int sig);
  bool running() const { return m_running; }
  int pid() const { return m_pid; }
  // Bytes handed to write() that the kernel has not yet accepted.
  std::size_t pending_write_bytes() const { return m_pending_write; }

 private:
  struct Callbacks {
    DataFn on_stdout;
    DataFn on_stderr;
    ExitFn on_exit;
  };
  static void on_exit_cb(uv_process_t* h, std::int64_t status, int sig) noexcept;
  void start_reading(uv_pipe_t* pipe);
  void deliver(uv_stream_t* stream, std::string_view data);

  uv_loop_t* m_loop;
  uv_process_t* m_proc = nullptr;  // owned; freed by close_and_free once exited
  HandlePtr<uv_pipe_t> m_stdin;
  HandlePtr<uv_pipe_t> m_stdout;
  HandlePtr<uv_pipe_t> m_stderr;
  std::shared_ptr<Callbacks> m_cbs;
  bool m_running = false;
  int m_pid = 0;
  std::size_t m_pending_write = 0;
};

}  // namespace harness::loop
