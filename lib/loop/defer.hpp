#pragma once
// Runs a function on a later loop iteration. Used for deferred frees: an object must never be
// destroyed inside its own callback stack, so its owner hands it to defer() instead.

#include <uv.h>

#include <functional>
#include <memory>

namespace harness::loop {

// Calls `fn` once, on the loop thread, after the current callbacks have returned.
void defer(uv_loop_t* loop, std::function<void()> fn);

// Destroys `obj` on a later loop iteration.
template <class T>
void defer_destroy(uv_loop_t* loop, std::unique_ptr<T> obj) {
  if (!obj) return;
  auto shared = std::shared_ptr<T>(std::move(obj));
  defer(loop, [shared]() mutable { shared.reset(); });
}

// Runs blocking `work` on libuv's thread pool and `done` on the loop thread afterwards. For
// short file operations only (writing an envelope); SQLite has its own thread.
void run_blocking(uv_loop_t* loop, std::function<void()> work, std::function<void()> done);

}  // namespace harness::loop
