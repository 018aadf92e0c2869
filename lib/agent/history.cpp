#include "lib/agent/history.hpp"

#include <map>

namespace harness::agent {
namespace {
using model::Event;
using model::Message;

// The calls of an assistant message that are still owed a result, keyed by call id.
struct Open {
  const Event* response = nullptr;  // the model_response event
  std::vector<PendingCall> calls;
  std::map<std::string, model::ToolResult> results;
};

void close_turn(History& h, Open& open, bool current_leaf) {
  if (!open.response) return;
  if (current_leaf) {
    // The current leaf stopped mid-turn: hand the unfinished calls to the runner.
    bool all_done = true;
    for (auto& pc : open.calls) {
      if (open.results.count(pc.call.id)) {
        pc.status = CallStatus::finished;
        h.finished_results.push_back(open.results[pc.call.id]);
      } else {
        all_done = false;
      }
    }
    if (!all_done) {
      h.calls = std::move(open.calls);
      open = Open{};
      return;
    }
  }
  Message user;
  user.role = model::Role::user;
  for (const auto& pc : open.calls) {
    auto it = open.results.find(pc.call.id);
    if (it != open.results.end()) {
      user.tool_results.push_back(it->second);
    } else {
      user.tool_results.push_back(model::ToolResult{
          pc.call.id, "error: this tool call was not run (the leaf ended before it)", true});
    }
  }
  if (!user.tool_results.empty()) h.messages.push_back(std::move(user));
  h.finished_results.clear();
  open = Open{};
}
}  // namespace

std::string verdict_text(const model::Json& decided) {
  std::string by = "someone";
  if (auto it = decided.find("by"); it != decided.end() && it->is_object())
    by = it->value("name", by);
  std::string text = decided.value("verdict", "") + " by " + by;
  std::string message = decided.value("message", "");
  if (!message.empty()) text += ": " + message;
  return text;
}

std::string interrupted_result_text(const model::ToolCall& call) {
  return "error: the " + call.name +
         " call was interrupted (the daemon restarted while it ran) and was not re-run; its "
         "effects are unknown. Check the workspace before retrying.";
}

History build_history(const std::vector<Event>& events, const std::string& leaf_id) {
  History h;
  Open open;
  std::string open_leaf;
  for (const Event& e : events) {
    bool mine = e.leaf == leaf_id;
    if (e.type == model::event::leaf_submitted) {
      close_turn(h, open, false);
      Message user;
      user.role = model::Role::user;
      user.text = e.data.value("prompt", "");
      // Merge into a preceding user message (tool results of a turn cut short) so roles
      // keep alternating.
      if (!h.messages.empty() && h.messages.back().role == model::Role::user) {
        auto& prev = h.messages.back();
        prev.text = prev.text.empty() ? user.text : prev.text + "\n\n" + user.text;
      } else {
        h.messages.push_back(std::move(user));
      }
    } else if (e.type == model::event::model_response) {
      close_turn(h, open, false);
      auto msg = model::message_from_json(e.data.value("message", model::Json::object()));
      if (!msg) continue;
      Message m = std::move(*msg);
      m.role = model::Role::assistant;
      if (mine) {
        h.turns = e.data.value("turn", h.turns + 1);
        h.answered = m.tool_calls.empty();
        h.final_text = m.text;
      }
      for (const auto& c : m.tool_calls) open.calls.push_back(pending_call(c));
      if (!m.tool_calls.empty()) {
        open.response = &e;
        open_leaf = e.leaf;
      }
      h.messages.push_back(std::move(m));
    } else if (e.type == model::event::gate_opened && open.response) {
      std::string id = e.data.value("call_id", "");
      for (auto& pc : open.calls) {
        if (pc.call.id != id) continue;
        pc.gate = GateStatus::open;
        pc.gate_no = e.data.value("gate", 0);
      }
    } else if (e.type == model::event::gate_decided && open.response) {
      int gate = e.data.value("gate", 0);
      for (auto& pc : open.calls) {
        if (pc.gate_no != gate || pc.gate != GateStatus::open) continue;
        bool approved = e.data.value("verdict", "") == "approved";
        pc.gate = approved ? GateStatus::approved : GateStatus::rejected;
        pc.verdict_text = verdict_text(e.data);
      }
    } else if (e.type == model::event::tool_started && open.response) {
      std::string id = e.data.value("call_id", "");
      for (auto& pc : open.calls)
        if (pc.call.id == id) pc.status = CallStatus::started;
    } else if (e.type == model::event::tool_finished && open.response) {
      std::string id = e.data.value("call_id", "");
      open.results[id] =
          model::ToolResult{id, e.data.value("output", ""), e.data.value("is_error", false)};
    }
  }
  if (open.response) close_turn(h, open, open_leaf == leaf_id);
  return h;
}

}  // namespace harness::agent
