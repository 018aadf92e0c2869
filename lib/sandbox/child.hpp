#pragma once
// Short-lived helper processes of the container drivers (podman run/rm, kubectl get pods, the
// workspace copy), run to completion on the loop. Loop thread only; callbacks run on the loop.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/loop/process.hpp"
#include "lib/loop/timer.hpp"

namespace harness::sandbox {

// How a helper ended. `out` keeps the first 1 MiB, `err` the last 16 KiB.
struct ChildResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// One helper run. Destroying it kills the child's process group; done is then never called.
class ChildRun {
 public:
  using Done = std::function<void(harness::Result<ChildResult>)>;
  explicit ChildRun(uv_loop_t* loop);
  ChildRun(const ChildRun&) = delete;
  ChildRun& operator=(const ChildRun&) = delete;
  ~ChildRun();
  // Starts argv with the complete environment `env`; done(result) once it exited and its
  // output was read. done(unavailable "ARGV0: reason") — possibly before returning — if it
  // cannot start. `done` may destroy this ChildRun. `extra_fds` as loop::ProcessOptions.
  void start(std::vector<std::string> argv, std::vector<std::string> env, Done done,
             std::vector<int> extra_fds = {});
  // Ends the child's stdin (an open pipe until then): a command that reads stdin sees EOF.
  void close_stdin();

 private:
  void maybe_done();
  uv_loop_t* m_loop;
  std::unique_ptr<loop::Process> m_proc;
  loop::Timer m_grace;
  Done m_done;
  ChildResult m_result;
  bool m_exited = false, m_out_eof = false, m_err_eof = false;
  std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);
};

// Runs a helper nobody waits for (removing a container at leaf end). It owns itself and is
// freed after it ended; `done` (optional) gets its result.
void run_detached(uv_loop_t* loop, std::vector<std::string> argv, std::vector<std::string> env,
                  ChildRun::Done done = {});

// "first line of err, else of out, else 'exit status N'": why a helper failed, for messages.
std::string failure_text(const ChildResult& r);

// The environment for container/cluster clients: PATH, HOME and the client's own settings
// (KUBECONFIG, DOCKER_HOST, XDG_RUNTIME_DIR, ...) from the daemon's environment, nothing else.
std::vector<std::string> client_env();

}  // namespace harness::sandbox
