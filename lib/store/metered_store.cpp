#include "lib/store/metered_store.hpp"

#include <chrono>

#include "lib/base/metrics.hpp"

namespace harness::store {
namespace {

// Wraps `cb` so that its call records how long operation `op` took and whether it failed.
template <class T>
Callback<T> timed(const char* op, Callback<T> cb) {
  static metrics::Family& duration = metrics::histogram(
      "harness_store_operation_duration_seconds",
      "Store operations from call to answer, by operation.", {"op"}, metrics::latency_buckets());
  static metrics::Family& errors =
      metrics::counter("harness_store_operation_errors_total",
                       "Store operations that failed, by operation.", {"op"});
  auto t0 = std::chrono::steady_clock::now();
  return [op, t0, cb = std::move(cb)](Result<T> r) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    duration.observe({op}, took.count());
    if (!r) errors.inc({op});
    if (cb) cb(std::move(r));
  };
}

class MeteredStore final : public Store {
 public:
  explicit MeteredStore(std::unique_ptr<Store> inner) : m_inner(std::move(inner)) {}

  void submit(SubmitRequest req, Callback<SubmitResult> cb) override {
    m_inner->submit(std::move(req), timed("submit", std::move(cb)));
  }
  void append(std::string leaf_id, std::vector<model::EventDraft> drafts,
              Callback<AppendResult> cb) override {
    m_inner->append(std::move(leaf_id), std::move(drafts), timed("append", std::move(cb)));
  }
  void get_leaf(std::string id, Callback<model::Leaf> cb) override {
    m_inner->get_leaf(std::move(id), timed("get_leaf", std::move(cb)));
  }
  void list_leaves(LeafFilter filter, Callback<LeafPage> cb) override {
    m_inner->list_leaves(std::move(filter), timed("list_leaves", std::move(cb)));
  }
  void read_events(EventQuery q, Callback<std::vector<model::Event>> cb) override {
    m_inner->read_events(std::move(q), timed("read_events", std::move(cb)));
  }
  void get_session(std::string id, Callback<model::Session> cb) override {
    m_inner->get_session(std::move(id), timed("get_session", std::move(cb)));
  }
  void list_unfinished(Callback<std::vector<model::Leaf>> cb) override {
    m_inner->list_unfinished(timed("list_unfinished", std::move(cb)));
  }
  ScheduleStore* schedules() override { return m_inner->schedules(); }
  bool shared() const override { return m_inner->shared(); }
  void register_node(NodeRequest req, Callback<bool> cb) override {
    m_inner->register_node(std::move(req), timed("register_node", std::move(cb)));
  }
  void claim(ClaimRequest req, Callback<ClaimResult> cb) override {
    m_inner->claim(std::move(req), timed("claim", std::move(cb)));
  }
  void release(std::string leaf_id, Callback<bool> cb) override {
    m_inner->release(std::move(leaf_id), timed("release", std::move(cb)));
  }
  void ping(Callback<bool> cb) override { m_inner->ping(timed("ping", std::move(cb))); }
  void close(std::function<void()> done) override { m_inner->close(std::move(done)); }

 private:
  std::unique_ptr<Store> m_inner;
};

}  // namespace

std::unique_ptr<Store> metered(std::unique_ptr<Store> inner) {
  return std::make_unique<MeteredStore>(std::move(inner));
}

}  // namespace harness::store
