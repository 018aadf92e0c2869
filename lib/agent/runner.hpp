#pragma once
// LeafRunner: one leaf's agent loop (SPEC §4) as a state machine on the event loop. It
// persists every step through the Journal before acting on it: model_response before running
// tools, tool_started before a tool runs, tool_finished after. Started fresh or recovered after
// a crash, it rebuilds its conversation from the session log and continues from there.
//
// Threads: loop thread only. Async completions hold a weak_ptr to the runner, so a runner
// that was stopped and released simply drops late results.
//
// Failures stay inside the leaf: every continuation (a store answer, a model or tool result, a
// timer) is entered through guard(), which turns an exception or a failed assertion into the
// leaf ending failed/internal. A write the store refuses for now (unavailable: disk full,
// database locked) is retried with backoff until it works; the leaf just waits meanwhile.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/agent/history.hpp"
#include "lib/agent/journal.hpp"
#include "lib/agent/prestart.hpp"
#include "lib/base/unique_fd.hpp"
#include "lib/config/config.hpp"
#include "lib/loop/timer.hpp"
#include "lib/model/policy.hpp"
#include "lib/model/tool_input.hpp"
#include "lib/model_api/client.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/driver.hpp"

namespace harness::agent {

class Notifier;

// Everything a runner uses, owned by the daemon; outlives every runner.
struct AgentContext {
  uv_loop_t* loop = nullptr;
  config::ConfigPtr config;  // a runner keeps the one it was started with
  Journal* journal = nullptr;
  model_api::ModelClient* models = nullptr;
  // Tests only (null in the daemon): called at the start of every continuation of a leaf,
  // inside its guard, with the leaf id and the step — a seam to inject faults.
  std::function<void(const std::string& leaf_id, std::string_view step)> on_continue;
  // Told of every gate this daemon opens (null: nobody is). Outlives the runners.
  Notifier* notifier = nullptr;
  // Speculative sandbox starts (prestart.hpp); null: sandboxes open with the first tool call.
  PrestartBudget* prestarts = nullptr;
};

// How a runner begins: a queued leaf starts; a leaf that was running when the daemon stopped is
// recovered, after a crash or after a clean shutdown (the leaf_recovered event says which).
enum class StartKind { fresh, after_crash, after_shutdown };

// The crash-loop guard: a leaf whose recovery has crashed the daemon this many times in a row
// (model::Leaf::crashed_recoveries) is failed `internal` instead of being recovered again.
inline constexpr int k_max_crashed_recoveries = 3;

class LeafRunner : public std::enable_shared_from_this<LeafRunner> {
 public:
  // Called once when the runner has nothing more to do (finished, or stopped), on the loop.
  using DoneFn = std::function<void(const std::string& leaf_id)>;

  LeafRunner(AgentContext ctx, model::Leaf leaf, DoneFn on_done);
  ~LeafRunner();
  LeafRunner(const LeafRunner&) = delete;
  LeafRunner& operator=(const LeafRunner&) = delete;

  // Writes leaf_started (or leaf_recovered) and runs the loop from the log. A recovery after a
  // crash of a leaf with k_max_crashed_recoveries crashed recoveries fails it instead.
  void start(StartKind how);
  // Stops at once without writing anything more (the leaf was cancelled, or the daemon is
  // shutting down and the leaf resumes after restart). Calls on_done.
  void stop();
  // The daemon is shutting down: the step in flight (a model call, a tool call, a write) may
  // finish and be persisted, but no new model call or tool starts; then the runner stops
  // (calling on_done). A runner waiting to retry a failed write stops at once.
  void drain();
  const std::string& id() const { return m_leaf.id; }
  // The leaf row as last persisted by this runner (awaiting_approval after it parked at a gate).
  const model::Leaf& leaf() const { return m_leaf; }

 private:
  void on_history(std::vector<model::Event> events);
  void call_model();
  void on_model_done(Result<model::ModelResponse> r, TimeMs started);
  void run_next_call();
  void run_tool(const model::ToolCall& call);
  // Gates (gates.cpp): policy checks, opening a gate and parking, applying verdicts.
  void handle_call(const PendingCall& pc);
  void open_gate(const model::ToolCall& call, const model::ToolInput& input, std::string_view kind,
                 const model::Rule* rule);
  void open_gate_with(const model::ToolCall& call, model::Json gate);
  void park();
  void record_result(const model::ToolCall& call, model::Json data, model::ToolResult result);
  // Calls `next` once the channel exists, opening it first if needed (one opening at a time:
  // callers that arrive while it opens wait for it).
  void with_channel(std::function<void(Status)> next);
  // Makes the driver, prepares the sandbox and creates the channel, then `done`.
  void open_channel(std::function<void(Status)> done);
  // Opens the workspace without following symlinks (off the loop), then open_channel(next).
  void open_workspace(std::function<void(Status)> next);
  // While the first model call is in flight: opens the bwrap sandbox ahead of the first tool
  // call, if the budget (AgentContext::prestarts) has room. Failures are left to that call.
  void prestart();
  void give_back_prestart();
  void finish(model::LeafState state, std::string_view reason, std::string message,
              std::optional<std::string> result = std::nullopt);
  // Marks the runner stopped and lets go of its timers, model call, channel and sandbox.
  void halt();
  void release();
  // Restarts the inactivity timer (a model response or a tool's output arrived).
  void touch();
  // Persistence and failures (runner_guard.cpp).
  using Drafts = std::shared_ptr<const std::vector<model::EventDraft>>;
  // Appends and continues with `next` on success. unavailable: retried with backoff; conflict
  // (someone else ended the leaf): stops; anything else fails the leaf `internal`.
  void append(std::vector<model::EventDraft> drafts, std::function<void(const model::Leaf&)> next);
  void try_append(Drafts drafts, std::function<void(const model::Leaf&)> next);
  // Appends the leaf_finished draft of finish(), retrying like append(), then the envelope.
  void record_end(Drafts drafts);
  // Reads the session log (retrying while the store is unavailable), then on_history().
  void read_log();
  // Schedules `again` after the backoff for the store's m_store_failures-th failure in a row.
  void retry_store(std::string_view what, const Error& e, std::function<void()> again);
  void store_ok();
  // Runs `body` as a continuation of this leaf: an exception or failed assertion inside ends
  // the leaf failed/internal with its message; nothing escapes to the event loop.
  void guard(std::string_view step, const std::function<void()>& body) noexcept;
  void fail_internal(std::string_view step, std::string_view what) noexcept;
  // The string `key` of the first event the last append() wrote, as persisted (redacted), or
  // `fallback`. What the model is sent comes from the log, never from before redaction.
  std::string persisted_text(const char* key, std::string fallback) const;
  model::Message persisted_message(model::Message fallback) const;

  AgentContext m_ctx;
  model::Leaf m_leaf;
  DoneFn m_on_done;
  const model::ModelProfile* m_model = nullptr;
  const model::SandboxProfile* m_sandbox = nullptr;
  model::Policy m_policy;

  std::vector<model::Event> m_appended;  // what the last append() wrote
  std::vector<model::Message> m_messages;
  std::vector<PendingCall> m_calls;  // the current turn's tool calls
  std::vector<model::ToolResult> m_results;
  std::vector<model::ToolResult> m_known_results;  // finished before a crash
  size_t m_next_call = 0;
  int m_turn = 0;

  std::uint64_t m_model_call = 0;
  UniqueFd m_workspace;  // open while the leaf runs: its sandbox binds exactly this directory
  std::unique_ptr<sandbox::Driver> m_driver;
  std::unique_ptr<sandbox::Channel> m_channel;
  std::vector<std::function<void(Status)>> m_channel_waiters;  // while the channel opens
  bool m_prestart_tried = false;
  bool m_prestart_slot = false;  // holds one of AgentContext::prestarts
  loop::Timer m_deadline;
  loop::Timer m_inactivity;  // SPEC §4 inactivity; restarted by touch()
  loop::Timer m_retry;       // the next attempt of a write the store refused for now
  int m_store_failures = 0;  // failed attempts in a row
  bool m_draining = false;   // shutting down: start no model call or tool
  bool m_stopped = false;
  bool m_released = false;
};

}  // namespace harness::agent
