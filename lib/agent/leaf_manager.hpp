#pragma once
// LeafManager: which leaves run now. At most `max_running` runners at once; the rest wait
// `queued` in FIFO order. On startup it recovers every unfinished leaf from the store: leaves
// that were running resume first (from their logs), then the queue in submit order.
//
// On a shared store (Redis) the queue is the store's: the manager registers the node name and
// a Claimer (claims.hpp) hands it the leaves this daemon won, as free slots allow; leaves that
// must stop here (cancelled elsewhere, lease lost) are stopped without writing anything.
//
// Threads: loop thread only.

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "lib/agent/claims.hpp"
#include "lib/agent/runner.hpp"
#include "lib/loop/timer.hpp"

namespace harness::agent {

class LeafManager {
 public:
  explicit LeafManager(AgentContext ctx);

  // Loads unfinished leaves from the store and dispatches them; `done` once they are all
  // running or queued (unavailable if the store cannot answer). Leaves that were running are
  // recovered as `how` (after_crash, or after_shutdown when the last daemon stopped cleanly).
  void recover(StartKind how, std::function<void(Status)> done);
  // A freshly submitted leaf: runs now if a slot is free, else waits its turn.
  void enqueue(const model::Leaf& leaf);
  // Persists `cancelled` (conflict if the leaf is already terminal; not_found if unknown),
  // stops its runner if any, writes its envelope, then answers the updated leaf.
  void cancel(const std::string& id, store::Callback<model::Leaf> cb);
  // Shutdown, gently: starts nothing more; each running leaf finishes the step in flight (a
  // model call or tool call gets its result persisted) and stops before its next one. After
  // `grace_ms` the rest are stopped where they are. `done` runs on a later loop iteration once
  // no runner is left. The leaves resume after the next start.
  void drain(std::int64_t grace_ms, std::function<void()> done);
  // Stops every runner at once without writing anything: the leaves resume after the next start.
  void shutdown();

  struct VerdictRequest {
    int gate = 0;  // 0 = the open gate
    bool approve = false;
    bool stop = false;  // reject only: end the leaf `rejected`
    std::string message;
    model::Json by;  // {"name","uid","transport","remote"}
  };
  struct VerdictResult {
    model::Leaf leaf;
    model::Json verdict;   // the gate_decided data
    bool already = false;  // the same verdict had been given before; nothing changed
  };
  // Records a verdict on a gate of `leaf` (a row the caller just read and checked who may
  // decide; a verdict racing it is caught when appending). The first verdict
  // wins: the same verdict again answers `already`; any other is conflict, naming what happened.
  // Approve and plain reject continue the leaf; reject with stop ends it `rejected`.
  void decide(const model::Leaf& leaf, VerdictRequest req, store::Callback<VerdictResult> cb);

  // A reload: leaves started from now on get `config`; running ones keep theirs. A larger
  // max_running starts queued leaves at once.
  void set_config(config::ConfigPtr config);

  size_t running_count() const { return m_running.size(); }
  size_t queued_count() const { return m_queue.size(); }

 private:
  struct Waiting {
    model::Leaf leaf;
    StartKind how = StartKind::fresh;
  };
  void pump();
  void start(Waiting w);
  bool shared() const { return m_ctx.journal->store().shared(); }
  void recover_shared(std::function<void(Status)> done);
  void on_claimed(store::Claim c);
  void on_lost(const std::string& leaf_id);
  void runner_done(const std::string& leaf_id);
  void drained();
  // Ends leaf `id` with `draft` (cancel, or a failure), stops its runner if any, writes its
  // envelope, then answers the updated leaf.
  void end_leaf(const std::string& id, model::EventDraft draft, store::Callback<model::Leaf> cb);
  void append_end(const std::string& id, std::vector<model::EventDraft> drafts,
                  store::Callback<model::Leaf> cb);
  // `drafts` end with `leaf`'s leaf_finished: adds its workspace_changes before it (off the
  // loop; workspace_changes.hpp), then `next`, which must not throw.
  void with_workspace_changes(const model::Leaf& leaf, std::vector<model::EventDraft> drafts,
                              std::function<void(std::vector<model::EventDraft>)> next);
  // Runs a continuation of leaf `id` off a store callback: an exception inside fails the leaf
  // and is answered with internal instead of reaching the event loop (leaf_stop.cpp).
  void guarded(const std::string& id, const std::function<void(Error)>& answer,
               const std::function<void()>& body) noexcept;
  // Gate timeouts: one timer for the earliest deadline of all parked leaves.
  void watch_gate(const model::Leaf& leaf);
  void arm_gate_timer();
  void expire_gates();
  void append_verdict(const std::string& leaf_id, std::vector<model::EventDraft> drafts,
                      const VerdictRequest& req, int gate, const model::Json& verdict, bool stop,
                      store::Callback<VerdictResult> cb);
  void explain_decided(const std::string& leaf_id, const VerdictRequest& req, int gate,
                       store::Callback<VerdictResult> cb);
  void explain_verdicts(const model::Leaf& leaf, const VerdictRequest& req, int gate,
                        const std::vector<model::Event>& events,
                        const store::Callback<VerdictResult>& cb);

  AgentContext m_ctx;
  std::deque<Waiting> m_queue;
  std::unordered_map<std::string, std::shared_ptr<LeafRunner>> m_running;
  std::multimap<TimeMs, std::pair<std::string, int>> m_gate_deadlines;  // -> (leaf, gate)
  loop::Timer m_gate_timer;
  loop::Timer m_grace_timer;
  Claimer m_claimer;
  std::function<void()> m_drained;  // drain()'s done, until no runner is left
  bool m_shutting_down = false;
};

}  // namespace harness::agent
