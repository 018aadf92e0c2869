#include "lib/loop/async_queue.hpp"

namespace harness::loop {

AsyncQueue::AsyncQueue(uv_loop_t* loop) : m_handle(new uv_async_t) {
  uv_async_init(loop, m_handle.get(), [](uv_async_t* a) noexcept {
    if (auto* self = static_cast<AsyncQueue*>(a->data)) self->drain();
  });
  m_handle->data = this;
}

void AsyncQueue::post(std::function<void()> fn) {
  {
    std::lock_guard lock(m_mu);
    m_pending.push_back(std::move(fn));
  }
  uv_async_send(m_handle.get());
}

void AsyncQueue::unref() {
  uv_unref(reinterpret_cast<uv_handle_t*>(m_handle.get()));
}

void AsyncQueue::drain() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(m_mu);
    batch.swap(m_pending);
  }
  for (auto& fn : batch) fn();
}

}  // namespace harness::loop
