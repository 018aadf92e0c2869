#pragma once
// LeafRunner: one leaf's agent loop (SPEC §4) as a state machine on the event loop. It
// persists every step through the Journal before acting on it: model_response before running
// tools, tool_started before a tool runs, tool_finished after. Started fresh or recovered after
// a crash, it rebuilds its conversation from the session log and continues from there.
//
// Threads: loop thread only. Async completions hold a weak_ptr to the runner, so a runner
// that was stopped and released simply drops late results.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/agent/history.hpp"
#include "lib/agent/journal.hpp"
#include "lib/config/config.hpp"
#include "lib/loop/timer.hpp"
#include "lib/model/policy.hpp"
#include "lib/model/tool_input.hpp"
#include "lib/model_api/client.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/driver.hpp"

namespace harness::agent {

// Everything a runner uses, owned by the daemon; outlives every runner.
struct AgentContext {
  uv_loop_t* loop = nullptr;
  const config::Config* config = nullptr;
  Journal* journal = nullptr;
  model_api::ModelClient* models = nullptr;
};

class LeafRunner : public std::enable_shared_from_this<LeafRunner> {
 public:
  // Called once when the runner has nothing more to do (finished, or stopped), on the loop.
  using DoneFn = std::function<void(const std::string& leaf_id)>;

  LeafRunner(AgentContext ctx, model::Leaf leaf, DoneFn on_done);
  ~LeafRunner();
  LeafRunner(const LeafRunner&) = delete;
  LeafRunner& operator=(const LeafRunner&) = delete;

  // Writes leaf_started (or leaf_recovered when `recovered`) and runs the loop from the log.
  void start(bool recovered);
  // Stops at once without writing anything more (the leaf was cancelled, or the daemon is
  // shutting down and the leaf resumes after restart). Calls on_done.
  void stop();
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
  void with_channel(std::function<void(Status)> next);
  void finish(model::LeafState state, std::string_view reason, std::string message,
              std::optional<std::string> result = std::nullopt);
  void release();
  // Appends and continues with `next` on success; any failure ends the runner.
  void append(std::vector<model::EventDraft> drafts, std::function<void(const model::Leaf&)> next);
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
  std::unique_ptr<sandbox::Driver> m_driver;
  std::unique_ptr<sandbox::Channel> m_channel;
  loop::Timer m_deadline;
  bool m_stopped = false;
  bool m_released = false;
};

}  // namespace harness::agent
