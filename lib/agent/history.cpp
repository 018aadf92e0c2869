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
  by = model::str_at(model::object_at(decided, "by"), "name", by);
  std::string text = model::str_at(decided, "verdict") + " by " + by;
  std::string message = model::str_at(decided, "message");
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
      user.text = model::str_at(e.data, "prompt");
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
      auto msg = model::message_from_json(model::object_at(e.data, "message"));
      if (!msg) continue;
      Message m = std::move(*msg);
      m.role = model::Role::assistant;
      if (mine) {
        h.turns = static_cast<int>(model::int_at(e.data, "turn", h.turns + 1));
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
      std::string id = model::str_at(e.data, "call_id");
      for (auto& pc : open.calls) {
        if (pc.call.id != id) continue;
        pc.gate = GateStatus::open;
        pc.gate_no = static_cast<int>(model::int_at(e.data, "gate"));
      }
    } else if (e.type == model::event::gate_decided && open.response) {
      auto gate = model::int_at(e.data, "gate");
      for (auto& pc : open.calls) {
        if (pc.gate_no != gate || pc.gate != GateStatus::open) continue;
        bool approved = model::str_at(e.data, "verdict") == "approved";
        pc.gate = approved ? GateStatus::approved : GateStatus::rejected;
        pc.verdict_text = verdict_text(e.data);
      }
    } else if (e.type == model::event::tool_started && open.response) {
      std::string id = model::str_at(e.data, "call_id");
      for (auto& pc : open.calls)
        if (pc.call.id == id) pc.status = CallStatus::started;
    } else if (e.type == model::event::tool_finished && open.response) {
      std::string id = model::str_at(e.data, "call_id");
      open.results[id] = model::ToolResult{id, model::str_at(e.data, "output"),
                                           model::bool_at(e.data, "is_error")};
    }
  }
  if (open.response) close_turn(h, open, open_leaf == leaf_id);
  return h;
}

}  // namespace harness::agent
