// Store append latency: `harness_store_bench URL [LEAVES] [EVENTS] [CONCURRENCY]` submits LEAVES
// leaves to the store at URL and appends EVENTS single-event batches to each (a model_response
// of ~1 KiB, like a leaf's turns), CONCURRENCY leaves at a time, one append in flight per leaf
// (as a runner does). Prints one JSON line: p50/p99/max append latency in microseconds (call to
// callback, on the loop) and appends per second. Driven by tests/bench/bench_store.py.
#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/base/ids.hpp"
#include "lib/store/store.hpp"

using namespace harness;
using Clock = std::chrono::steady_clock;

namespace {

struct Bench {
  uv_loop_t* loop;
  store::Store* st;
  int events;
  std::vector<std::int64_t> us;
  int running = 0;
  int failed = 0;
  std::string first_error;

  void fail(const Error& e) {
    if (failed++ == 0) first_error = e.message;
  }

  // Appends to `id` until `left` is 0, one at a time; then `done`.
  void append_loop(std::string id, int left, std::function<void()> done) {
    if (left == 0) return done();
    model::Json data{{"turn", events - left + 1},
                     {"text", std::string(1000, 'x')},
                     {"usage", {{"input_tokens", 10}, {"output_tokens", 5}}}};
    auto t0 = Clock::now();
    st->append(
        id, {{"model_response", data}},
        [this, id, left, done = std::move(done), t0](Result<store::AppendResult> r) {
          us.push_back(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
          if (!r) {
            fail(r.error());
            return done();
          }
          append_loop(id, left - 1, done);
        });
  }

  void leaf(std::function<void()> done) {
    store::SubmitRequest req;
    req.leaf_id = new_id("lf_");
    req.session_id = new_id("ses_");
    req.spec.prompt = "bench";
    st->submit(std::move(req), [this, done = std::move(done)](Result<store::SubmitResult> r) {
      if (!r) {
        fail(r.error());
        return done();
      }
      std::string id = r->leaf.id;
      st->append(id, {{"leaf_started", model::Json::object()}},
                 [this, id, done](Result<store::AppendResult> s) {
                   if (!s) {
                     fail(s.error());
                     return done();
                   }
                   append_loop(id, events, done);
                 });
    });
  }
};

std::int64_t pct(std::vector<std::int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s URL [LEAVES] [EVENTS] [CONCURRENCY]\n", argv[0]);
    return 2;
  }
  int leaves = argc > 2 ? std::atoi(argv[2]) : 200;
  int events = argc > 3 ? std::atoi(argv[3]) : 10;
  int concurrency = argc > 4 ? std::atoi(argv[4]) : 8;
  spdlog::set_level(spdlog::level::warn);  // stdout is the JSON line
  uv_loop_t loop;
  uv_loop_init(&loop);
  auto opened = store::open_store(&loop, argv[1]);
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  auto st = std::move(*opened);
  Bench b{&loop, st.get(), events, {}, 0, 0, {}};
  int started = 0, finished = 0;
  std::function<void()> next = [&] {
    while (started < leaves && started - finished < concurrency) {
      ++started;
      b.leaf([&] {
        ++finished;
        next();
      });
    }
  };
  auto t0 = Clock::now();
  next();
  while (finished < leaves) uv_run(&loop, UV_RUN_ONCE);
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  st->close([] {});
  uv_run(&loop, UV_RUN_DEFAULT);
  st.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  std::printf(
      "{\"appends\": %zu, \"failed\": %d, \"p50_us\": %lld, \"p99_us\": %lld, \"max_us\": %lld, "
      "\"appends_per_s\": %.0f, \"seconds\": %.3f}\n",
      b.us.size(), b.failed, static_cast<long long>(pct(b.us, 0.5)),
      static_cast<long long>(pct(b.us, 0.99)), static_cast<long long>(pct(b.us, 1.0)),
      static_cast<double>(b.us.size()) / secs, secs);
  if (b.failed) std::fprintf(stderr, "first error: %s\n", b.first_error.c_str());
  return b.failed ? 1 : 0;
}
