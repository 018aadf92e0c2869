#include "lib/loop/defer.hpp"

#include "lib/loop/handle.hpp"

namespace harness::loop {
namespace {
struct Deferred {
  uv_timer_t timer;
  std::function<void()> fn;
};

struct BlockingJob {
  uv_work_t req;
  std::function<void()> work;
  std::function<void()> done;
};
}  // namespace

void defer(uv_loop_t* loop, std::function<void()> fn) {
  auto* d = new Deferred{};
  d->fn = std::move(fn);
  uv_timer_init(loop, &d->timer);
  d->timer.data = d;
  uv_timer_start(
      &d->timer,
      [](uv_timer_t* t) noexcept {
        auto* d = static_cast<Deferred*>(t->data);
        auto fn = std::move(d->fn);
        uv_close(reinterpret_cast<uv_handle_t*>(t),
                 [](uv_handle_t* h) { delete static_cast<Deferred*>(h->data); });
        if (fn) fn();
      },
      0, 0);
}

void run_blocking(uv_loop_t* loop, std::function<void()> work, std::function<void()> done) {
  auto* job = new BlockingJob{};
  job->req.data = job;
  job->work = std::move(work);
  job->done = std::move(done);
  uv_queue_work(
      loop, &job->req, [](uv_work_t* r) noexcept { static_cast<BlockingJob*>(r->data)->work(); },
      [](uv_work_t* r, int) noexcept {
        std::unique_ptr<BlockingJob> job(static_cast<BlockingJob*>(r->data));
        if (job->done) job->done();
      });
}

}  // namespace harness::loop
