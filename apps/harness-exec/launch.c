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
 *   --uid-map     moves this process into a new user namespace with these uid_map and gid_map
 *                 (a process cannot map ids other than its own in a namespace it is in: the
 *                 namespace is made for a child, mapped from here, then entered).
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
#include <sys/syscall.h>
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

/* A child is cloned straight into a new user namespace and exits at once; we write its maps
 * (from the parent namespace, where we hold CAP_SETUID), enter the namespace with setns (as its
 * owner we hold every capability in it) and reap the child. A zombie keeps its namespace, so
 * nothing waits for the child to be scheduled until the reaping, by when it has mostly run. */
static int enter_userns(const char* uid_map, const char* gid_map) {
  pid_t child = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (child < 0) return -1;
  if (child == 0) _exit(0);
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/uid_map", (long)child);
  int rc = write_file(path, uid_map);
  snprintf(path, sizeof path, "/proc/%ld/gid_map", (long)child);
  if (rc == 0) rc = write_file(path, gid_map);
  snprintf(path, sizeof path, "/proc/%ld/ns/user", (long)child);
  int ns = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (ns < 0 || setns(ns, CLONE_NEWUSER) != 0) rc = -1;
  if (ns >= 0) close(ns);
  while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
  }
  return rc;
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
