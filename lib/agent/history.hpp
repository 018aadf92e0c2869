#pragma once
// Rebuilds a leaf's conversation from its session's event log — the log is the source of truth,
// so a resumed leaf and a leaf recovered after a crash both start from here. Pure; no I/O.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lib/model/conversation.hpp"
#include "lib/model/leaf.hpp"

namespace harness::agent {

// What the log says about one tool call of the last model response.
enum class CallStatus { not_started, started, finished };

// A human verdict on a call, when it went through a gate.
enum class GateStatus { none, open, approved, rejected };

struct PendingCall {
  model::ToolCall call;
  CallStatus status = CallStatus::not_started;
  GateStatus gate = GateStatus::none;
  int gate_no = 0;
  std::string verdict_text;  // "approved by alice: ok" / "rejected by bob: not today"
};

// A call nothing has happened to yet.
inline PendingCall pending_call(const model::ToolCall& call) {
  PendingCall pc;
  pc.call = call;
  return pc;
}

struct History {
  // The whole conversation of the session up to now, valid for any provider: every tool call
  // has a result (calls of earlier leaves that never finished get a synthetic "not run" one).
  // Ends with the user message the model must answer next, unless `calls` is non-empty.
  std::vector<model::Message> messages;
  // The current leaf's last model response, if its tool calls are not all finished yet: the
  // calls in order, with what the log knows about each. Results of finished ones are already
  // collected in `finished_results`.
  std::vector<PendingCall> calls;
  std::vector<model::ToolResult> finished_results;
  int turns = 0;          // model responses of the current leaf
  bool answered = false;  // the current leaf's last response was a final answer (no tool calls)
  std::string final_text;
};

// The session's log folded event by event: what build_history() computes, kept so that a later
// read can go on from last_seq() instead of from the start (history_cache.hpp). Its state does
// not depend on which leaf will run next; finish() picks that. Of its messages only the last
// one may still change when more events are added (a prompt is merged into a trailing user
// message); every earlier one is final.
class HistoryBuilder {
 public:
  // Folds in the next event; events must come in seq order, each once.
  void add(const model::Event& e);
  // The history for running `leaf_id` next (its leaf_submitted must have been added).
  History finish(const std::string& leaf_id) const;
  // The seq of the last event added; 0 when none.
  std::int64_t last_seq() const { return m_last_seq; }
  const std::vector<model::Message>& messages() const { return m_messages; }
  // About how much memory the builder holds, in bytes.
  size_t bytes() const { return m_bytes; }

  // The calls of an assistant message that are still owed a result.
  struct Open {
    bool response = false;  // a model_response with tool calls opened this turn
    std::string leaf;       // the leaf of that response
    std::vector<PendingCall> calls;
    std::map<std::string, model::ToolResult> results;  // by call id
  };

 private:
  std::vector<model::Message> m_messages;  // closed turns only
  Open m_open;
  // The leaf of the last model response, and what its responses said: a leaf's events follow
  // its own leaf_submitted and come before the next leaf's (one unfinished leaf per session).
  std::string m_last_leaf;
  int m_turns = 0;
  bool m_answered = false;
  std::string m_final_text;
  std::int64_t m_last_seq = 0;
  size_t m_bytes = 0;
};

// `events`: the session's log in seq order. `leaf_id`: the leaf being run (its own
// leaf_submitted must be in the log).
History build_history(const std::vector<model::Event>& events, const std::string& leaf_id);

// About how much memory `m` holds, in bytes (for the history cache's bound).
size_t approx_bytes(const model::Message& m);

// "approved by alice: ship it" from a gate_decided event's data.
std::string verdict_text(const model::Json& decided);

// The result text given to the model for a call that started before a crash and whose end was
// never recorded: it is not re-run, its effects are unknown.
std::string interrupted_result_text(const model::ToolCall& call);

}  // namespace harness::agent
