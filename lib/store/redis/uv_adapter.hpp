#pragma once
// Drives a hiredis async context from a libuv loop: one uv_poll_t on the context's socket.
// Loop thread only.
//
// Why not hiredis' own adapters/libuv.h (0.14.1): it ignores poll errors (status < 0), so a
// broken socket is never read and the context never learns it is dead; it leaks its state
// when uv_poll_init fails; and its static helpers (`on_close`…) leak into every file that
// includes it. This one follows STYLE.md "libuv handles": the poll handle lives in a heap
// block owned by hiredis' event hooks, `data` is set once, and the block is freed only in the
// handle's close callback, which hiredis starts through its cleanup hook when the context is
// freed.

#include <uv.h>

struct redisAsyncContext;

namespace harness::store::redis {

// Attaches `ac` (fresh from redisAsyncConnect, no event hooks yet) to `loop`. false when the
// socket cannot be polled; then nothing is attached and the caller frees `ac`.
bool attach_to_loop(redisAsyncContext* ac, uv_loop_t* loop);

}  // namespace harness::store::redis
