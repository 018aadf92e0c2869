#pragma once
// Ownership of libuv handles. A wrapper owns a heap-allocated handle; destroying the wrapper
// starts uv_close() and the handle's memory is freed in the close callback, never before.
// Callbacks find their wrapper through handle->data, which is cleared when the wrapper goes,
// so a callback that races a close does nothing. Loop thread only.

#include <uv.h>

#include <utility>

namespace harness::loop {

// Closes `h` (if not already closing) and deletes it as T in the close callback.
template <class T>
void close_and_free(T* h) {
  if (!h) return;
  auto* base = reinterpret_cast<uv_handle_t*>(h);
  base->data = nullptr;
  if (uv_is_closing(base)) return;
  uv_close(base, [](uv_handle_t* p) { delete reinterpret_cast<T*>(p); });
}

// Unique ownership of one uv handle of type T.
template <class T>
class HandlePtr {
 public:
  HandlePtr() = default;
  explicit HandlePtr(T* h) : m_h(h) {}
  HandlePtr(const HandlePtr&) = delete;
  HandlePtr& operator=(const HandlePtr&) = delete;
  HandlePtr(HandlePtr&& o) noexcept : m_h(std::exchange(o.m_h, nullptr)) {}
  HandlePtr& operator=(HandlePtr&& o) noexcept {
    if (this != &o) {
      reset();
      m_h = std::exchange(o.m_h, nullptr);
    }
    return *this;
  }
  ~HandlePtr() { reset(); }

  T* get() const { return m_h; }
  T* operator->() const { return m_h; }
  explicit operator bool() const { return m_h != nullptr; }
  // Starts closing the handle; memory is freed in its close callback.
  void reset() { close_and_free(std::exchange(m_h, nullptr)); }

 private:
  T* m_h = nullptr;
};

}  // namespace harness::loop
