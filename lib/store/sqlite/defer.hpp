#pragma once
// Runs a function on the loop thread on the loop's next iteration, from the loop thread: for
// callbacks that must not run inside the call that produced them, and for work that must leave
// the current callback stack first. Loop thread only.

#include <uv.h>

#include <functional>

namespace harness::store::sqlite {

// `fn` runs once, from a one-shot timer that frees itself; the timer keeps the loop alive until
// then.
void defer(uv_loop_t* loop, std::function<void()> fn);

}  // namespace harness::store::sqlite
