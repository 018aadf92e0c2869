/* harness-exec internals: one process, one thread, no allocation beyond what a frame and a
 * command's caps need. See lib/sandbox/exec_wire.h for the protocol. */
#ifndef HARNESS_EXEC_HX_H
#define HARNESS_EXEC_HX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sandbox/exec_wire.h"

/* A byte string that points into a frame (not owned). */
struct hx_str {
  const unsigned char* p;
  uint32_t len;
};

/* Reads a frame's fields in order; any read past the end sets `bad`. */
struct hx_reader {
  const unsigned char* p;
  size_t left;
  int bad;
};
uint32_t hx_u32(struct hx_reader* r);
uint64_t hx_u64(struct hx_reader* r);
struct hx_str hx_string(struct hx_reader* r);

/* A growable output buffer; aborts the process when memory runs out. */
struct hx_buf {
  unsigned char* p;
  size_t len, cap;
};
void hx_put(struct hx_buf* b, const void* data, size_t n);
void hx_put_u32(struct hx_buf* b, uint32_t v);
void hx_put_u64(struct hx_buf* b, uint64_t v);
void hx_put_string(struct hx_buf* b, const void* data, size_t n);

/* Reads one frame from fd into *body (malloc'd; the caller frees). 1 = a frame, 0 = clean end
 * of input before a frame, -1 = a truncated or oversized frame (message on stderr). */
int hx_read_frame(int fd, uint32_t* tag, unsigned char** body, uint32_t* len);
/* Writes all of b to fd; -1 when the reader is gone. */
int hx_write_all(int fd, const unsigned char* p, size_t n);

/* The first head_cap bytes of a stream and a ring of its last tail_cap bytes after those. */
struct hx_capture {
  unsigned char* head;
  size_t head_len, head_cap;
  unsigned char* ring;
  size_t ring_start, ring_len, ring_cap;
  uint64_t total;
};
void hx_capture_init(struct hx_capture* c, size_t head_cap, size_t tail_cap);
void hx_capture_add(struct hx_capture* c, const unsigned char* d, size_t n);
/* Appends total, then head and tail as two strings. */
void hx_capture_emit_sizes(const struct hx_capture* c, struct hx_buf* b);
void hx_capture_emit(const struct hx_capture* c, struct hx_buf* b);
void hx_capture_free(struct hx_capture* c);

struct hx_setup {
  const char* name; /* $0 of every command (the helper's first argument), or NULL: "sh" */
  uint32_t kill_grace_ms;
  uint64_t rlimit_as, rlimit_fsize, rlimit_cpu, rlimit_nproc;
};

struct hx_request {
  uint64_t id;
  uint32_t timeout_ms, head_cap, tail_cap;
  struct hx_str command, cwd, stdin_data;
};

/* Runs one request and appends its RESULT frame to out. Returns -1 when the daemon hung up
 * meanwhile (the command's group is killed; the caller exits). */
int hx_run(const struct hx_setup* setup, const struct hx_request* req, struct hx_buf* out);

/* `harness-exec --launch ...` (launch.c): argv after "--launch". Returns an exit status only
 * when it could not exec the program. */
int hx_launch(int argc, char** argv);

/* `harness-exec --drop UID GID GROUPS` (drop.c): become the account with no capability left;
 * 0, or 97 with a message on stderr. */
int hx_drop(const char* uid, const char* gid, const char* groups);

#endif
