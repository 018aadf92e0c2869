#include "lib/agent/history.hpp"

namespace harness::agent {
namespace {
using model::Event;
using model::Message;
using Open = HistoryBuilder::Open;

constexpr size_t k_overhead = 64;  // per string or JSON node, roughly

size_t approx_bytes(const model::Json& j) {
  if (j.is_string()) return k_overhead + j.get_ref<const std::string&>().size();
  size_t n = k_overhead;
  if (j.is_object())
    for (const auto& [k, v] : j.items()) n += k.size() + approx_bytes(v);
  else if (j.is_array())
    for (const auto& v : j) n += approx_bytes(v);
  return n;
}

// Ends the open turn: the user message with its tool results is appended to `messages`. When
// it belongs to the leaf about to run (`current_leaf`) and some calls are unfinished, they are
// handed to the runner in `h` instead.
void close_turn(std::vector<Message>& messages, History* h, Open& open, bool current_leaf) {
  if (!open.response) return;
  if (current_leaf && h) {
    bool all_done = true;
    for (auto& pc : open.calls) {
      if (open.results.count(pc.call.id)) {
        pc.status = CallStatus::finished;
        h->finished_results.push_back(open.results[pc.call.id]);
      } else {
        all_done = false;
      }
    }
    if (!all_done) {
      h->calls = std::move(open.calls);
      open = Open{};
      return;
    }
    h->finished_results.clear();
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
  if (!user.tool_results.empty()) messages.push_back(std::move(user));
  open = Open{};
}
}  // namespace

size_t approx_bytes(const Message& m) {
  size_t n = k_overhead + m.text.size();
  for (const auto& c : m.tool_calls)
    n += k_overhead + c.id.size() + c.name.size() + approx_bytes(c.input);
  for (const auto& r : m.tool_results) n += k_overhead + r.call_id.size() + r.content.size();
  return n;
}

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

void HistoryBuilder::add(const Event& e) {
  m_last_seq = e.seq;
  size_t closed = m_messages.size();
  if (e.type == model::event::leaf_submitted) {
    close_turn(m_messages, nullptr, m_open, false);
    std::string prompt = model::str_at(e.data, "prompt");
    // Merge into a preceding user message (tool results of a turn cut short) so roles
    // keep alternating.
    if (!m_messages.empty() && m_messages.back().role == model::Role::user) {
      auto& prev = m_messages.back();
      m_bytes += prompt.size() + 2;
      prev.text = prev.text.empty() ? std::move(prompt) : prev.text + "\n\n" + prompt;
    } else {
      Message user;
      user.role = model::Role::user;
      user.text = std::move(prompt);
      m_messages.push_back(std::move(user));
    }
  } else if (e.type == model::event::model_response) {
    close_turn(m_messages, nullptr, m_open, false);
    auto msg = model::message_from_json(model::object_at(e.data, "message"));
    if (msg) {
      Message m = std::move(*msg);
      m.role = model::Role::assistant;
      if (e.leaf != m_last_leaf) {
        m_last_leaf = e.leaf;
        m_turns = 0;
      }
      m_turns = static_cast<int>(model::int_at(e.data, "turn", m_turns + 1));
      m_answered = m.tool_calls.empty();
      m_final_text = m.text;
      for (const auto& c : m.tool_calls) m_open.calls.push_back(pending_call(c));
      if (!m.tool_calls.empty()) {
        m_open.response = true;
        m_open.leaf = e.leaf;
      }
      m_messages.push_back(std::move(m));
    }
  } else if (e.type == model::event::gate_opened && m_open.response) {
    std::string id = model::str_at(e.data, "call_id");
    for (auto& pc : m_open.calls) {
      if (pc.call.id != id) continue;
      pc.gate = GateStatus::open;
      pc.gate_no = static_cast<int>(model::int_at(e.data, "gate"));
    }
  } else if (e.type == model::event::gate_decided && m_open.response) {
    auto gate = model::int_at(e.data, "gate");
    for (auto& pc : m_open.calls) {
      if (pc.gate_no != gate || pc.gate != GateStatus::open) continue;
      bool approved = model::str_at(e.data, "verdict") == "approved";
      pc.gate = approved ? GateStatus::approved : GateStatus::rejected;
      pc.verdict_text = verdict_text(e.data);
    }
  } else if (e.type == model::event::tool_started && m_open.response) {
    std::string id = model::str_at(e.data, "call_id");
    for (auto& pc : m_open.calls)
      if (pc.call.id == id) pc.status = CallStatus::started;
  } else if (e.type == model::event::tool_finished && m_open.response) {
    std::string id = model::str_at(e.data, "call_id");
    m_open.results[id] =
        model::ToolResult{id, model::str_at(e.data, "output"), model::bool_at(e.data, "is_error")};
  }
  for (size_t i = closed; i < m_messages.size(); ++i) m_bytes += approx_bytes(m_messages[i]);
}

History HistoryBuilder::finish(const std::string& leaf_id) const {
  History h;
  h.messages = m_messages;
  if (m_last_leaf == leaf_id) {
    h.turns = m_turns;
    h.answered = m_answered;
    h.final_text = m_final_text;
  }
  Open open = m_open;
  close_turn(h.messages, &h, open, open.leaf == leaf_id);
  return h;
}

History build_history(const std::vector<Event>& events, const std::string& leaf_id) {
  HistoryBuilder b;
  for (const Event& e : events) b.add(e);
  return b.finish(leaf_id);
}

}  // namespace harness::agent
