#pragma once
// Rebuilds a leaf's conversation from its session's event log — the log is the source of truth,
// so a resumed leaf and a leaf recovered after a crash both start from here. Pure; no I/O.

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

// `events`: the session's log in seq order. `leaf_id`: the leaf being run (its own
// leaf_submitted must be in the log).
History build_history(const std::vector<model::Event>& events, const std::string& leaf_id);

// "approved by alice: ship it" from a gate_decided event's data.
std::string verdict_text(const model::Json& decided);

// The result text given to the model for a call that started before a crash and whose end was
// never recorded: it is not re-run, its effects are unknown.
std::string interrupted_result_text(const model::ToolCall& call);

}  // namespace harness::agent
