#pragma once
// The one way threads hand work to the loop: post() from any thread, the function runs on the
// loop thread. uv_async_send coalesces, so each wakeup drains the whole queue in FIFO order.

#include <uv.h>

#include <deque>
#include <functional>
#include <mutex>

#include "lib/loop/handle.hpp"

namespace harness::loop {

class AsyncQueue {
 public:
  explicit AsyncQueue(uv_loop_t* loop);
  // Any thread. Functions posted after the queue is destroyed are dropped.
  void post(std::function<void()> fn);
  // Lets the loop exit while nothing is pending (uv_unref); the default keeps it alive.
  void unref();

 private:
  void drain();

  HandlePtr<uv_async_t> m_handle;
  std::mutex m_mu;
  std::deque<std::function<void()>> m_pending;
};

}  // namespace harness::loop
