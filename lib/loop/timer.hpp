#pragma once
// A one-shot or repeating timer. Loop thread only.

#include <uv.h>

#include <cstdint>
#include <functional>

#include "lib/loop/handle.hpp"

namespace harness::loop {

class Timer {
 public:
  explicit Timer(uv_loop_t* loop);
  // Calls `fn` after `timeout_ms`, then every `repeat_ms` if non-zero. Restarting replaces fn.
  void start(std::uint64_t timeout_ms, std::function<void()> fn, std::uint64_t repeat_ms = 0);
  void stop();
  bool active() const;
  // Lets the loop exit while this timer is the only thing left (uv_unref).
  void unref();

 private:
  HandlePtr<uv_timer_t> m_handle;
  std::function<void()> m_fn;
};

}  // namespace harness::loop
