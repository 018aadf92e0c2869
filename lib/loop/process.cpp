// Loop thread only. Callbacks are copied (shared_ptr) before they run, so a callback may destroy
// the Process; trampolines touch nothing of the Process after calling out.
#include "lib/loop/process.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <utility>

namespace harness::loop {
namespace {

struct WriteReq {
  uv_write_t req;
  std::string data;
};

// Read callbacks consume their chunk synchronously, so one loop-thread buffer serves all pipes.
char g_read_buf[64 * 1024];

void alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf) noexcept {
  *buf = uv_buf_init(g_read_buf, sizeof(g_read_buf));
}

uv_pipe_t* new_pipe(uv_loop_t* loop, void* data) {
  auto* p = new uv_pipe_t;
  uv_pipe_init(loop, p, 0);
  p->data = data;
  return p;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Writing to a child that died raises SIGPIPE, whose default action would kill the daemon; the
// write's EPIPE is what we want instead.
void ignore_sigpipe() {
  static const bool done = [] {
    struct sigaction sa {};
    sigaction(SIGPIPE, nullptr, &sa);
    if (sa.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

// argv[0] is found on the daemon's PATH, not the child's: the child's env is what runs inside a
// sandbox and need not even contain the launcher's directory.
std::string resolve_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (name.find('/') != std::string::npos || !path) return name;
  std::string_view rest = path;
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    std::string full = (dir.empty() ? "." : dir) + "/" + name;
    if (access(full.c_str(), X_OK) == 0) return full;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return name;
}

}  // namespace

Process::Process(uv_loop_t* loop) : m_loop(loop) {}

Process::~Process() {
  if (!m_proc) return;
  if (m_running) {
    // Orphan the handle: on_exit_cb sees data == nullptr and frees it once the child is reaped.
    uv_kill(-m_pid, SIGKILL);
    m_proc->data = nullptr;
  } else {
    close_and_free(m_proc);
  }
}

Status Process::spawn(ProcessOptions opts, DataFn on_stdout, DataFn on_stderr, ExitFn on_exit) {
  HARNESS_ASSERT(!m_proc && !opts.argv.empty());
  ignore_sigpipe();
  m_stdin = HandlePtr<uv_pipe_t>(new_pipe(m_loop, this));
  m_stdout = HandlePtr<uv_pipe_t>(new_pipe(m_loop, this));
  m_stderr = HandlePtr<uv_pipe_t>(new_pipe(m_loop, this));

  std::vector<uv_stdio_container_t> stdio(3 + opts.extra_fds.size());
  stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(m_stdin.get());
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(m_stdout.get());
  stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(m_stderr.get());
  for (size_t i = 0; i < opts.extra_fds.size(); ++i) {
    int fd = opts.extra_fds[i];
    stdio[3 + i].flags = fd >= 0 ? UV_INHERIT_FD : UV_IGNORE;
    stdio[3 + i].data.fd = fd;
  }

  auto args = c_strings(opts.argv);
  auto env = c_strings(opts.env);
  std::string file = resolve_on_path(opts.argv[0]);
  uv_process_options_t o{};
  o.exit_cb = &Process::on_exit_cb;
  o.file = file.c_str();
  o.args = args.data();
  o.env = env.data();
  o.cwd = opts.cwd.empty() ? nullptr : opts.cwd.c_str();
  o.flags = UV_PROCESS_DETACHED;  // setsid(): the child leads its own process group
  o.stdio_count = static_cast<int>(stdio.size());
  o.stdio = stdio.data();

  m_proc = new uv_process_t;
  m_proc->data = this;
  int rc = uv_spawn(m_loop, m_proc, &o);
  if (rc != 0) {
    close_and_free(std::exchange(m_proc, nullptr));
    m_stdin.reset();
    m_stdout.reset();
    m_stderr.reset();
    return make_error(ErrorCode::unavailable, opts.argv[0] + ": " + uv_strerror(rc));
  }
  m_pid = m_proc->pid;
  m_running = true;
  m_cbs = std::make_shared<Callbacks>(
      Callbacks{std::move(on_stdout), std::move(on_stderr), std::move(on_exit)});
  start_reading(m_stdout.get());
  start_reading(m_stderr.get());
  return {};
}

void Process::start_reading(uv_pipe_t* pipe) {
  uv_read_start(reinterpret_cast<uv_stream_t*>(pipe), alloc_cb,
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) noexcept {
                  auto* self = static_cast<Process*>(s->data);
                  if (!self || n == 0) return;
                  if (n < 0) {
                    uv_read_stop(s);
                    self->deliver(s, {});
                    return;
                  }
                  self->deliver(s, std::string_view(buf->base, static_cast<size_t>(n)));
                });
}

void Process::deliver(uv_stream_t* stream, std::string_view data) {
  auto cbs = m_cbs;  // keeps the functions alive if the callback destroys *this
  bool is_out = stream == reinterpret_cast<uv_stream_t*>(m_stdout.get());
  auto& fn = is_out ? cbs->on_stdout : cbs->on_stderr;
  if (fn) fn(data);
}

void Process::on_exit_cb(uv_process_t* h, std::int64_t status, int sig) noexcept {
  auto* self = static_cast<Process*>(h->data);
  close_and_free(h);
  if (!self) return;
  self->m_proc = nullptr;
  self->m_running = false;
  auto cbs = self->m_cbs;
  if (cbs && cbs->on_exit) cbs->on_exit(status, sig);
}

bool Process::write(std::string data) {
  if (!m_stdin || data.empty()) return static_cast<bool>(m_stdin);
  auto* w = new WriteReq{{}, std::move(data)};
  uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(m_stdin.get()), &buf, 1,
                    [](uv_write_t* req, int) noexcept {
                      auto* w = reinterpret_cast<WriteReq*>(req);
                      if (auto* self = static_cast<Process*>(req->handle->data))
                        self->m_pending_write -= w->data.size();
                      delete w;
                    });
  if (rc != 0) {
    delete w;
    return false;
  }
  m_pending_write += w->data.size();
  return true;
}

void Process::close_stdin() {
  if (!m_stdin) return;
  auto* req = new uv_shutdown_t;
  int rc = uv_shutdown(req, reinterpret_cast<uv_stream_t*>(m_stdin.get()),
                       [](uv_shutdown_t* r, int) noexcept {
                         if (auto* self = static_cast<Process*>(r->handle->data))
                           self->m_stdin.reset();
                         delete r;
                       });
  if (rc != 0) {
    delete req;
    m_stdin.reset();
  }
}

void Process::kill_group(int sig) {
  if (m_running) uv_kill(-m_pid, sig);
}

}  // namespace harness::loop
