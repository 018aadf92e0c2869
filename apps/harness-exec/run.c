/* One command: fork, `/bin/sh -c COMMAND` in a new session (its own process group), stdin from
 * the request (or /dev/null), stdout and stderr through pipes into head+tail captures. One poll
 * loop watches the pipes, the child's exit (SIGCHLD through a self-pipe), the deadline and the
 * daemon's end of our stdin.
 *
 * When the command's own process ends, its whole group is killed: nothing it left in the
 * background outlives the tool call (what must survive leaves the group with setsid). On the
 * deadline the group gets TERM, and KILL after the grace. The exit is seen with WNOWAIT and the
 * group killed before the child is reaped, so the group id cannot have been reused. Output a
 * command's escaped descendants still write into the pipes is read for at most HX_DRAIN_MS
 * after the exit, then the pipes are closed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hx.h"

#define HX_DRAIN_MS 50
/* execve's limit for one argument is 128 KiB; longer commands (or ones with NUL bytes) are run
 * from a memfd as a script file (`sh /proc/self/fd/N`: $0 is then that path, not the name). */
#define HX_MAX_ARG (100u * 1024u)

extern char** environ;

static int g_chld_pipe[2] = {-1, -1};

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t w = write(g_chld_pipe[1], "c", 1);
  (void)w;
  errno = saved;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int init_sigchld(void) {
  if (g_chld_pipe[0] >= 0) return 0;
  if (pipe2(g_chld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&sa.sa_mask);
  return sigaction(SIGCHLD, &sa, NULL);
}

static void set_limit(int resource, uint64_t v) {
  if (v == 0) return;
  struct rlimit rl = {(rlim_t)v, (rlim_t)v};
  setrlimit(resource, &rl);
}

static void child_fail(const char* what, int code) {
  char msg[512];
  int n = snprintf(msg, sizeof msg, "harness-exec: %s: %s\n", what, strerror(errno));
  if (n > 0) hx_write_all(2, (const unsigned char*)msg, (size_t)n);
  _exit(code);
}

/* In the child, after fork: never returns. */
static void exec_child(const struct hx_setup* s, const struct hx_request* req, int in_fd,
                       int out_fd, int err_fd, int script_fd) {
  setsid();
  if (in_fd < 0) in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &dfl, NULL);
  sigaction(SIGCHLD, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (req->cwd.len) {
    char* dir = strndup((const char*)req->cwd.p, req->cwd.len);
    if (!dir || chdir(dir) != 0) child_fail("cannot enter the working directory", 2);
  }
  set_limit(RLIMIT_AS, s->rlimit_as);
  set_limit(RLIMIT_FSIZE, s->rlimit_fsize);
  set_limit(RLIMIT_CPU, s->rlimit_cpu);
  set_limit(RLIMIT_NPROC, s->rlimit_nproc);
  if (script_fd >= 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", script_fd);
    fcntl(script_fd, F_SETFD, 0);
    char* argv[] = {"sh", path, NULL};
    execve("/bin/sh", argv, environ);
  } else {
    char* cmd = strndup((const char*)req->command.p, req->command.len);
    char* argv[] = {"sh", "-c", cmd, (char*)s->name, NULL};
    if (cmd) execve("/bin/sh", argv, environ);
  }
  child_fail("cannot run /bin/sh", 127);
}

/* A memfd holding the command when it cannot be an argument; -1 when it can (or on failure,
 * with *err set). */
static int script_fd_for(const struct hx_request* req, const char** err) {
  *err = NULL;
  if (req->command.len <= HX_MAX_ARG && !memchr(req->command.p, 0, req->command.len)) return -1;
  int fd = memfd_create("harness-command", MFD_CLOEXEC);
  if (fd < 0 || hx_write_all(fd, req->command.p, req->command.len) != 0) {
    *err = "cannot hold the command in a memfd";
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

struct hx_job {
  pid_t pid;
  int out_fd, err_fd, in_fd;
  size_t in_off;
  struct hx_capture out, err;
  int exited, timed_out, status;
  int64_t deadline, kill_at, drain_until;
};

static void close_fd(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void read_into(int* fd, struct hx_capture* c) {
  static unsigned char buf[65536];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n > 0) {
    hx_capture_add(c, buf, (size_t)n);
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    close_fd(fd);
  }
}

static void write_stdin(struct hx_job* j, const struct hx_request* req) {
  ssize_t n = write(j->in_fd, req->stdin_data.p + j->in_off, req->stdin_data.len - j->in_off);
  if (n > 0) j->in_off += (size_t)n;
  if ((n < 0 && errno != EAGAIN && errno != EINTR) || j->in_off == req->stdin_data.len)
    close_fd(&j->in_fd);
}

/* Sees the child's exit without reaping it, kills its group, then reaps. */
static void check_exit(struct hx_job* j) {
  char drain[64];
  while (read(g_chld_pipe[0], drain, sizeof drain) > 0) {
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (j->exited || waitid(P_PID, (id_t)j->pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      si.si_pid != j->pid)
    return;
  kill(-j->pid, SIGKILL);
  while (waitpid(j->pid, &j->status, 0) < 0 && errno == EINTR) {
  }
  j->exited = 1;
  j->drain_until = now_ms() + HX_DRAIN_MS;
  close_fd(&j->in_fd);
}

static void on_time(struct hx_job* j, const struct hx_setup* s, int64_t now) {
  if (j->exited) return;
  if (!j->timed_out && now >= j->deadline) {
    j->timed_out = 1;
    kill(-j->pid, SIGTERM);
    j->kill_at = now + s->kill_grace_ms;
  } else if (j->timed_out && j->kill_at && now >= j->kill_at) {
    kill(-j->pid, SIGKILL);
    j->kill_at = 0;
  }
}

static int poll_timeout(const struct hx_job* j, int64_t now) {
  int64_t next = j->exited ? j->drain_until : (j->timed_out ? j->kill_at : j->deadline);
  if (!j->exited && j->timed_out && !j->kill_at) return -1;
  return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

/* -1 = the daemon hung up. */
static int wait_job(struct hx_job* j, const struct hx_setup* s, const struct hx_request* req) {
  for (;;) {
    int64_t now = now_ms();
    if (j->exited && ((j->out_fd < 0 && j->err_fd < 0) || now >= j->drain_until)) return 0;
    on_time(j, s, now);
    struct pollfd p[5] = {
        {g_chld_pipe[0], POLLIN, 0}, {0, POLLRDHUP, 0},      {j->out_fd, POLLIN, 0},
        {j->err_fd, POLLIN, 0},      {j->in_fd, POLLOUT, 0},
    };
    int n = poll(p, 5, poll_timeout(j, now));
    if (n < 0 && errno != EINTR) return -1;
    if (n <= 0) continue;
    if (p[1].revents & (POLLHUP | POLLRDHUP | POLLERR)) {
      kill(-j->pid, SIGKILL);
      return -1;
    }
    if (p[2].revents) read_into(&j->out_fd, &j->out);
    if (p[3].revents) read_into(&j->err_fd, &j->err);
    if (p[4].revents) write_stdin(j, req);
    if (p[0].revents) check_exit(j);
  }
}

static void emit_result(const struct hx_request* req, struct hx_job* j, struct hx_buf* out) {
  uint32_t flags = j->timed_out ? HX_TIMED_OUT : 0;
  int32_t code = 0;
  if (WIFSIGNALED(j->status)) {
    flags |= HX_SIGNALED;
    code = WTERMSIG(j->status);
  } else {
    code = WEXITSTATUS(j->status);
  }
  struct hx_buf body = {0};
  hx_put_u64(&body, req->id);
  hx_put_u32(&body, flags);
  hx_put_u32(&body, (uint32_t)code);
  hx_capture_emit_sizes(&j->out, &body);
  hx_capture_emit_sizes(&j->err, &body);
  hx_capture_emit(&j->out, &body);
  hx_capture_emit(&j->err, &body);
  hx_put_u32(out, HX_TAG_RESULT);
  hx_put_u32(out, (uint32_t)body.len);
  hx_put(out, body.p, body.len);
  free(body.p);
}

/* A command that could not be started: exit 126 and the reason as its stderr. */
static void emit_failure(const struct hx_request* req, const char* why, struct hx_buf* out) {
  struct hx_job j;
  memset(&j, 0, sizeof j);
  j.status = 126 << 8;
  hx_capture_init(&j.out, 0, 0);
  hx_capture_init(&j.err, strlen(why) + 64, 0);
  char msg[256];
  int n = snprintf(msg, sizeof msg, "harness-exec: %s: %s\n", why, strerror(errno));
  hx_capture_add(&j.err, (const unsigned char*)msg, n > 0 ? (size_t)n : 0);
  emit_result(req, &j, out);
  hx_capture_free(&j.out);
  hx_capture_free(&j.err);
}

static int make_pipe(int fds[2], int parent_end) {
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  fcntl(fds[parent_end], F_SETFL, O_NONBLOCK);
  return 0;
}

int hx_run(const struct hx_setup* s, const struct hx_request* req, struct hx_buf* out) {
  int o[2] = {-1, -1}, e[2] = {-1, -1}, in[2] = {-1, -1};
  const char* why = NULL;
  int script = script_fd_for(req, &why);
  if (!why && init_sigchld() != 0) why = "cannot watch for the command's exit";
  if (!why && (make_pipe(o, 0) != 0 || make_pipe(e, 0) != 0 ||
               (req->stdin_data.len && make_pipe(in, 1) != 0)))
    why = "cannot create pipes";
  pid_t pid = why ? -1 : fork();
  if (pid == 0) exec_child(s, req, in[0], o[1], e[1], script);
  if (pid < 0 && !why) why = "cannot fork";
  int saved = errno;
  close_fd(&o[1]);
  close_fd(&e[1]);
  close_fd(&in[0]);
  close_fd(&script);
  if (why) {
    close_fd(&o[0]);
    close_fd(&e[0]);
    close_fd(&in[1]);
    errno = saved;
    emit_failure(req, why, out);
    return 0;
  }
  struct hx_job j;
  memset(&j, 0, sizeof j);
  j.pid = pid;
  j.out_fd = o[0];
  j.err_fd = e[0];
  j.in_fd = in[1];
  j.deadline = now_ms() + (req->timeout_ms ? req->timeout_ms : INT32_MAX);
  hx_capture_init(&j.out, req->head_cap, req->tail_cap);
  hx_capture_init(&j.err, req->head_cap, req->tail_cap);
  int rc = wait_job(&j, s, req);
  close_fd(&j.out_fd);
  close_fd(&j.err_fd);
  close_fd(&j.in_fd);
  if (rc == 0) emit_result(req, &j, out);
  hx_capture_free(&j.out);
  hx_capture_free(&j.err);
  return rc;
}
