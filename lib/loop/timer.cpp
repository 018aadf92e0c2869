#include "lib/loop/timer.hpp"

namespace harness::loop {

Timer::Timer(uv_loop_t* loop) : m_handle(new uv_timer_t) {
  uv_timer_init(loop, m_handle.get());
  m_handle->data = this;
}

void Timer::start(std::uint64_t timeout_ms, std::function<void()> fn, std::uint64_t repeat_ms) {
  m_fn = std::move(fn);
  uv_timer_start(
      m_handle.get(),
      [](uv_timer_t* t) noexcept {
        auto* self = static_cast<Timer*>(t->data);
        if (!self || !self->m_fn) return;
        // Copy: the callback may restart or destroy the timer.
        auto fn = self->m_fn;
        fn();
      },
      timeout_ms, repeat_ms);
}

void Timer::stop() {
  uv_timer_stop(m_handle.get());
}

bool Timer::active() const {
  return uv_is_active(reinterpret_cast<uv_handle_t*>(m_handle.get()));
}

void Timer::unref() {
  uv_unref(reinterpret_cast<uv_handle_t*>(m_handle.get()));
}

}  // namespace harness::loop
