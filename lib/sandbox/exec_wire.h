/* The harness-exec wire format: the channel's binary protocol between the daemon
 * (lib/sandbox/exec_protocol.cpp) and the helper inside the sandbox (apps/harness-exec).
 * Included from C and C++; constants only.
 *
 * Every message is a frame: u32 tag, u32 body length, body. Integers are little-endian; a
 * "string" is a u32 length followed by that many bytes (any bytes, no terminator).
 *
 * helper -> daemon
 *   HELLO   u32 version                          once, first thing after start
 *   RESULT  u64 id, u32 flags, i32 code,         one per REQUEST, in order
 *           u64 out_total, u64 err_total,
 *           string out_head, string out_tail, string err_head, string err_tail
 *           flags: HX_TIMED_OUT, HX_SIGNALED (code is then the signal number, else the exit
 *           status). A stream longer than head_cap + tail_cap sends its first head_cap and last
 *           tail_cap bytes; otherwise all of it as head, and an empty tail.
 * daemon -> helper
 *   SETUP   u32 kill_grace_ms, u64 rlimit_as, u64 rlimit_fsize, u64 rlimit_cpu,
 *           u64 rlimit_nproc                     0 = leave the limit as it is
 *   REQUEST u64 id, u32 timeout_ms, u32 head_cap, u32 tail_cap,
 *           string command, string cwd, string stdin
 *           cwd "" = the helper's own working directory; stdin "" = /dev/null.
 */
#ifndef HARNESS_SANDBOX_EXEC_WIRE_H
#define HARNESS_SANDBOX_EXEC_WIRE_H

#define HX_VERSION 1u

/* Tags read as ASCII in a dump: "hxH1", "hxR1", "hxS1", "hxQ1". */
#define HX_TAG(a, b, c, d) \
  ((unsigned)(a) | (unsigned)(b) << 8 | (unsigned)(c) << 16 | (unsigned)(d) << 24)
#define HX_TAG_HELLO HX_TAG('h', 'x', 'H', '1')
#define HX_TAG_RESULT HX_TAG('h', 'x', 'R', '1')
#define HX_TAG_SETUP HX_TAG('h', 'x', 'S', '1')
#define HX_TAG_REQUEST HX_TAG('h', 'x', 'Q', '1')

#define HX_FRAME_HEADER 8u
#define HX_TIMED_OUT 1u
#define HX_SIGNALED 2u

/* Bounds both ends enforce: a request body (command + stdin + cwd), and each of head_cap and
 * tail_cap. The helper's memory per command is about head_cap + tail_cap per stream. */
#define HX_MAX_REQUEST_BODY (256u << 20)
#define HX_MAX_CAP (64u << 20)

/* Body sizes without the strings: SETUP, the fixed part of REQUEST and RESULT. */
#define HX_SETUP_BODY 36u
#define HX_REQUEST_FIXED 20u
#define HX_RESULT_FIXED 32u

#endif
