/* harness-exec: the channel's end inside a sandbox. Started by the driver instead of `sh`; reads
 * SETUP and REQUEST frames on stdin and answers each REQUEST with a RESULT on stdout (the
 * protocol is lib/sandbox/exec_wire.h). Runs no helper process of its own: one fork + exec of
 * /bin/sh per command. Exits 0 when stdin ends; 2 on a malformed frame (reason on stderr).
 *
 * Usage: harness-exec [--drop UID GID GROUPS] [--chdir DIR] [NAME] | --version. --version
 * prints "harness-exec protocol N" and exits: the container drivers run it once after copying the
 * helper in, to see that it executes there (lib/sandbox/helper_placement.cpp). NAME becomes $0 of
 * every command (`sh -c COMMAND NAME`). The container drivers pass the leaf's marker
 * /tmp/.harness/LEAF/, so the helper's and its commands' command lines carry it: a later shell of
 * the same leaf finds and kills what a lost one left running (lib/sandbox/remote_shell.cpp).
 * --drop: first become that account, with no capability left (drop.c; a bwrap sandbox of a root
 * daemon running the leaf as another account). --chdir: then enter DIR (bwrap itself could not
 * enter that account's workspace). Either failing: exit 97 with a message, before the greeting.
 *
 * `harness-exec --launch ...` is something else: the host-side start of a bwrap sandbox
 * (launch.c). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hx.h"

/* Keeps s->name, which is not part of the frame. */
static int parse_setup(const unsigned char* body, uint32_t len, struct hx_setup* s) {
  struct hx_reader r = {body, len, 0};
  s->kill_grace_ms = hx_u32(&r);
  s->rlimit_as = hx_u64(&r);
  s->rlimit_fsize = hx_u64(&r);
  s->rlimit_cpu = hx_u64(&r);
  s->rlimit_nproc = hx_u64(&r);
  return r.bad || r.left ? -1 : 0;
}

static int parse_request(const unsigned char* body, uint32_t len, struct hx_request* q) {
  struct hx_reader r = {body, len, 0};
  q->id = hx_u64(&r);
  q->timeout_ms = hx_u32(&r);
  q->head_cap = hx_u32(&r);
  q->tail_cap = hx_u32(&r);
  q->command = hx_string(&r);
  q->cwd = hx_string(&r);
  q->stdin_data = hx_string(&r);
  if (r.bad || r.left) return -1;
  return q->head_cap > HX_MAX_CAP || q->tail_cap > HX_MAX_CAP ? -1 : 0;
}

static int send_buf(struct hx_buf* b) {
  int rc = hx_write_all(1, b->p, b->len);
  b->len = 0;
  return rc;
}

/* fds 0-2 must exist, or a pipe could take their number and the child's dup2s would clash. */
static void ensure_std_fds(void) {
  for (int fd = 0; fd < 3; ++fd)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd) _exit(2);
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("harness-exec protocol %u\n", HX_VERSION);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "--launch") == 0) return hx_launch(argc - 2, argv + 2);
  if (argc > 4 && strcmp(argv[1], "--drop") == 0) {
    int rc = hx_drop(argv[2], argv[3], argv[4]);
    if (rc != 0) return rc;
    argc -= 4;
    argv += 4;
  }
  if (argc > 2 && strcmp(argv[1], "--chdir") == 0) {
    if (chdir(argv[2]) != 0) {
      fprintf(stderr, "cannot enter the workspace %s\n", argv[2]);
      return 97;
    }
    argc -= 2;
    argv += 2;
  }
  ensure_std_fds();
  signal(SIGPIPE, SIG_IGN);
  struct hx_buf out = {0};
  hx_put_u32(&out, HX_TAG_HELLO);
  hx_put_u32(&out, 4);
  hx_put_u32(&out, HX_VERSION);
  if (send_buf(&out) != 0) return 0;
  struct hx_setup setup;
  memset(&setup, 0, sizeof setup);
  setup.name = argc > 1 ? argv[1] : NULL;
  for (;;) {
    uint32_t tag = 0, len = 0;
    unsigned char* body = NULL;
    int r = hx_read_frame(0, &tag, &body, &len);
    if (r <= 0) return r == 0 ? 0 : 2;
    struct hx_request req;
    int bad = 0, rc = 0;
    if (tag == HX_TAG_SETUP) {
      bad = parse_setup(body, len, &setup);
    } else if (tag == HX_TAG_REQUEST && !(bad = parse_request(body, len, &req))) {
      rc = hx_run(&setup, &req, &out);
      if (rc == 0) rc = send_buf(&out);
    } else {
      bad = 1;
    }
    free(body);
    if (bad) {
      fprintf(stderr, "harness-exec: malformed frame (tag %08x, %u bytes)\n", tag, len);
      return 2;
    }
    if (rc != 0) return 0;
  }
}
