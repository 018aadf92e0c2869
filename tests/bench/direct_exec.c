/* The baseline of bench_channel: the same command run directly inside the sandbox. Runs
 * `/bin/sh -c CMD` N times the plainest way (fork, exec, stdout through a pipe read to EOF,
 * waitpid) and prints each run's wall time in nanoseconds, CLOCK_MONOTONIC: the clock the
 * daemon side of the benchmark uses too (sandboxes share it: no time namespace). Static, so it
 * also runs in containers.
 *
 * Usage: direct_exec N CMD */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int run_once(const char* cmd) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    execl("/bin/sh", "sh", "-c", cmd, (char*)NULL);
    _exit(127);
  }
  close(p[1]);
  char buf[4096];
  while (read(p[0], buf, sizeof buf) > 0) {
  }
  close(p[0]);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fputs("usage: direct_exec N CMD\n", stderr);
    return 2;
  }
  int n = atoi(argv[1]);
  for (int i = 0; i < n; ++i) {
    long long t0 = now_ns();
    if (run_once(argv[2]) != 0) {
      fprintf(stderr, "direct_exec: `%s` failed\n", argv[2]);
      return 1;
    }
    printf("%lld\n", now_ns() - t0);
  }
  return 0;
}
