#include "lib/store/sqlite/defer.hpp"

#include "lib/base/assert.hpp"

namespace harness::store::sqlite {
namespace {
struct Deferred {
  uv_timer_t timer;
  std::function<void()> fn;
};
}  // namespace

void defer(uv_loop_t* loop, std::function<void()> fn) {
  auto* d = new Deferred{{}, std::move(fn)};
  int rc = uv_timer_init(loop, &d->timer);
  HARNESS_ASSERT(rc == 0);
  d->timer.data = d;
  uv_timer_start(
      &d->timer,
      [](uv_timer_t* t) noexcept {
        auto* d = static_cast<Deferred*>(t->data);
        auto fn = std::move(d->fn);
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete static_cast<Deferred*>(h->data); });
        fn();
      },
      0, 0);
}

}  // namespace harness::store::sqlite
