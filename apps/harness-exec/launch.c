/* `harness-exec --launch`: the host-side start of a bwrap sandbox (lib/sandbox/bwrap_launch.cpp),
 * instead of a shell script with mkdir, echo, unshare, nsenter and a second shell. The daemon
 * spawns it; it prepares its own process and then becomes PROGRAM (bwrap) with execv, so bwrap
 * is the daemon's child (--die-with-parent) and the only process left.
 *
 *   harness-exec --launch [--new-session] [--reopen FD]... [--cgroup BASE --pids-max N]
 *                [--uid-map MAP --gid-map MAP] -- PROGRAM ARG...
 *
 * In this order:
 *   --new-session leads a session of its own, without a controlling terminal (setsid, unless it
 *                 already leads one: the daemon spawns it so). What bwrap --new-session gives,
 *                 without the second session bwrap would make (each costs the kernel a new
 *                 scheduler autogroup, some ms);
 *   --reopen FD   reopens the inherited FD through /proc/self/fd/FD, so this process reads it
 *                 with an offset of its own (the seccomp memfd every sandbox shares);
 *   --cgroup      makes BASE (with +pids in its subtree_control on cgroup v2) and BASE/sbx-PID
 *                 with pids.max = N, and moves this process there before anything can fork. The
 *                 daemon removes empty sbx-* cgroups when other sandboxes start, which may take
 *                 this one between mkdir and the join: retried a few times;
 *   --uid-map     moves this process into a new user namespace whose uid_map and gid_map a
 *                 forked child writes (a process cannot map ids other than its own in its own
 *                 namespace; the child, still in the parent namespace, has CAP_SETUID there).
 * Any failure: a message on stderr and exit 97, nothing started. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hx.h"

#define HX_LAUNCH_FAIL 97
#define HX_MAX_REOPEN 8
#define HX_CGROUP_TRIES 5

struct launch {
  int reopen[HX_MAX_REOPEN];
  int n_reopen;
  int new_session;
  const char* cgroup;
  const char* pids_max;
  const char* uid_map;
  const char* gid_map;
  char** program;
};

static int fail(const char* msg, const char* what) {
  fprintf(stderr, "harness-exec: %s%s%s\n", msg, what ? " " : "", what ? what : "");
  return HX_LAUNCH_FAIL;
}

static int parse(int argc, char** argv, struct launch* l) {
  memset(l, 0, sizeof *l);
  for (int i = 0; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--") == 0) {
      l->program = argv + i + 1;
      break;
    }
    if (strcmp(a, "--new-session") == 0) {
      l->new_session = 1;
      continue;
    }
    if (i + 1 >= argc) return -1;
    const char* v = argv[++i];
    if (strcmp(a, "--reopen") == 0 && l->n_reopen < HX_MAX_REOPEN)
      l->reopen[l->n_reopen++] = atoi(v);
    else if (strcmp(a, "--cgroup") == 0)
      l->cgroup = v;
    else if (strcmp(a, "--pids-max") == 0)
      l->pids_max = v;
    else if (strcmp(a, "--uid-map") == 0)
      l->uid_map = v;
    else if (strcmp(a, "--gid-map") == 0)
      l->gid_map = v;
    else
      return -1;
  }
  if (!l->program || !l->program[0]) return -1;
  if (!l->cgroup != !l->pids_max || !l->uid_map != !l->gid_map) return -1;
  return 0;
}

static int reopen_fd(int fd) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int nfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nfd < 0) return -1;
  int rc = dup2(nfd, fd) == fd ? 0 : -1; /* the copy at fd is not close-on-exec */
  close(nfd);
  return rc;
}

/* Writes text to path in one write(2) (an id map must be written whole). */
static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t n = strlen(text);
  int rc = write(fd, text, n) == (ssize_t)n ? 0 : -1;
  if (close(fd) != 0) rc = -1;
  return rc;
}

static int join_cgroup(const char* base, const char* pids_max, char* dir, size_t dir_size) {
  char path[4400];
  snprintf(dir, dir_size, "%s/sbx-%ld", base, (long)getpid());
  if (mkdir(base, 0755) != 0 && errno != EEXIST) return -1;
  snprintf(path, sizeof path, "%s/cgroup.subtree_control", base);
  if (access(path, F_OK) == 0) (void)write_file(path, "+pids");
  for (int tries = 0; tries < HX_CGROUP_TRIES; ++tries) {
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) continue;
    snprintf(path, sizeof path, "%s/pids.max", dir);
    if (write_file(path, pids_max) != 0) continue;
    /* "0": the writer itself. A v1 hierarchy's `tasks` moves one thread — all of this single-
     * threaded process — and for the writing thread the kernel skips its global threadgroup
     * lock, whose write side waits for an RCU grace period (~10 ms, paid by every sandbox start
     * through cgroup.procs). v2 has no `tasks`: cgroup.procs, with the wait. */
    snprintf(path, sizeof path, "%s/tasks", dir);
    if (access(path, F_OK) != 0) snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    if (write_file(path, "0") == 0) return 0;
  }
  return -1;
}

/* The child writes our maps once we are in the new namespace (one byte on the pipe), then
 * exits 0 when both were written. */
static int enter_userns(const char* uid_map, const char* gid_map) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) return -1;
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1) _exit(1);
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/uid_map", (long)self);
    if (write_file(path, uid_map) != 0) _exit(1);
    snprintf(path, sizeof path, "/proc/%ld/gid_map", (long)self);
    _exit(write_file(path, gid_map) == 0 ? 0 : 1);
  }
  close(p[0]);
  int rc = unshare(CLONE_NEWUSER);
  if (rc == 0 && write(p[1], "u", 1) != 1) rc = -1;
  close(p[1]); /* without the byte the child exits 1 */
  int status = 0;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int hx_launch(int argc, char** argv) {
  struct launch l;
  if (parse(argc, argv, &l) != 0) return fail("--launch: bad arguments", NULL);
  /* Should the daemon die while we prepare, do not start a sandbox nobody waits for. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (l.new_session && getsid(0) != getpid() && setsid() < 0)
    return fail("cannot start a new session", NULL);
  for (int i = 0; i < l.n_reopen; ++i)
    if (reopen_fd(l.reopen[i]) != 0) return fail("cannot reopen an inherited descriptor", NULL);
  char dir[4200];
  if (l.cgroup && join_cgroup(l.cgroup, l.pids_max, dir, sizeof dir) != 0)
    return fail("cannot join the pids cgroup", dir);
  if (l.uid_map && enter_userns(l.uid_map, l.gid_map) != 0)
    return fail("cannot create the sandbox's user namespace", NULL);
  execv(l.program[0], l.program);
  fprintf(stderr, "harness-exec: %s: %s\n", l.program[0], strerror(errno));
  return 127;
}
