// Loop thread only: the child's pipes, its exit and the grace timer call back on the loop.
#include "lib/sandbox/child.hpp"

#include <cstdlib>

#include "lib/loop/defer.hpp"

namespace harness::sandbox {
namespace {

constexpr std::size_t k_out_cap = 1 << 20;
constexpr std::size_t k_err_tail = 16 * 1024;
// After the exit, a grandchild (conmon) may keep the pipes open: don't wait for their EOF.
constexpr std::uint64_t k_exit_grace_ms = 500;

}  // namespace

ChildRun::ChildRun(uv_loop_t* loop) : m_loop(loop), m_grace(loop) {}

ChildRun::~ChildRun() {
  *m_alive = false;
}

void ChildRun::start(std::vector<std::string> argv, std::vector<std::string> env, Done done,
                     std::vector<int> extra_fds) {
  m_done = std::move(done);
  m_proc = std::make_unique<loop::Process>(m_loop);
  auto st = m_proc->spawn(
      loop::ProcessOptions{std::move(argv), std::move(env), {}, std::move(extra_fds)},
      [this](std::string_view d) {
        if (d.empty()) m_out_eof = true;
        m_result.out.append(d.substr(0, k_out_cap - std::min(k_out_cap, m_result.out.size())));
        maybe_done();
      },
      [this](std::string_view d) {
        if (d.empty()) m_err_eof = true;
        m_result.err.append(d);
        if (m_result.err.size() > k_err_tail)
          m_result.err.erase(0, m_result.err.size() - k_err_tail);
        maybe_done();
      },
      [this](std::int64_t status, int sig) {
        m_exited = true;
        m_result.exit_code = sig ? 128 + sig : static_cast<int>(status);
        m_grace.start(k_exit_grace_ms, [this] {
          m_out_eof = m_err_eof = true;
          maybe_done();
        });
        maybe_done();
      });
  if (!st) {
    auto d = std::move(m_done);
    d(st.error());
  }
}

void ChildRun::close_stdin() {
  if (m_proc) m_proc->close_stdin();
}

void ChildRun::maybe_done() {
  if (!m_exited || !m_out_eof || !m_err_eof || !m_done) return;
  m_grace.stop();
  auto d = std::move(m_done);
  m_done = nullptr;
  d(std::move(m_result));
}

void run_detached(uv_loop_t* loop, std::vector<std::string> argv, std::vector<std::string> env,
                  ChildRun::Done done) {
  auto run = std::make_shared<std::unique_ptr<ChildRun>>(std::make_unique<ChildRun>(loop));
  ChildRun* raw = run->get();
  raw->start(std::move(argv), std::move(env),
             [loop, run, done = std::move(done)](harness::Result<ChildResult> r) mutable {
               if (done) done(std::move(r));
               // Never destroy the run inside its own callback stack.
               loop::defer_destroy(loop, std::move(*run));
             });
}

std::string failure_text(const ChildResult& r) {
  auto first_line = [](const std::string& s) {
    auto start = s.find_first_not_of(" \n\r\t");
    if (start == std::string::npos) return std::string();
    auto end = s.find('\n', start);
    return s.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  // The last non-empty line of stderr usually carries the reason ("Error: ... not known").
  std::string err = r.err;
  while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
  auto nl = err.rfind('\n');
  std::string last = first_line(nl == std::string::npos ? err : err.substr(nl + 1));
  if (!last.empty()) return last;
  std::string out = first_line(r.out);
  return out.empty() ? "exit status " + std::to_string(r.exit_code) : out;
}

std::vector<std::string> client_env() {
  std::vector<std::string> env;
  for (const char* name :
       {"PATH", "HOME", "USER", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "KUBECONFIG", "DOCKER_HOST",
        "DOCKER_CONFIG", "CONTAINER_HOST", "CONTAINERS_CONF", "REGISTRY_AUTH_FILE", "TMPDIR"}) {
    if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
  }
  return env;
}

}  // namespace harness::sandbox
