#include "lib/agent/fork_point.hpp"

#include <algorithm>
#include <map>

namespace harness::agent {
namespace {

// Walks the log, calling `at(event, open)` after each event with the calls still waiting for a
// result then (call id -> seq of the model_response that made it).
template <class F>
void walk(const std::vector<model::Event>& events, F&& at) {
  std::map<std::string, std::int64_t> open;
  for (const model::Event& e : events) {
    if (e.type == model::event::model_response) {
      // A new response after unanswered calls only happens after their leaf ended.
      open.clear();
      const model::Json& calls = model::object_at(e.data, "message");
      auto it = calls.find("tool_calls");
      if (it != calls.end() && it->is_array())
        for (const auto& c : *it) {
          std::string id = model::str_at(c, "id");
          if (!id.empty()) open[id] = e.seq;
        }
    } else if (e.type == model::event::tool_finished) {
      open.erase(model::str_at(e.data, "call_id"));
    } else if (e.type == model::event::leaf_finished) {
      open.clear();
    }
    at(e, open);
  }
}

}  // namespace

std::vector<std::int64_t> fork_points(const std::vector<model::Event>& events) {
  std::vector<std::int64_t> out;
  walk(events, [&](const model::Event& e, const auto& open) {
    if (open.empty()) out.push_back(e.seq);
  });
  return out;
}

Result<std::int64_t> choose_fork_seq(const std::vector<model::Event>& events,
                                     const std::string& session,
                                     std::optional<std::int64_t> requested) {
  std::vector<std::int64_t> points = fork_points(events);
  if (events.empty() || points.empty())
    return make_error(ErrorCode::invalid, "session " + session + " has no event to fork at");
  if (!requested) return points.back();
  std::int64_t seq = *requested, last = events.back().seq;
  if (seq < 1 || seq > last)
    return make_error(ErrorCode::invalid, "seq " + std::to_string(seq) + " is not in session " +
                                              session + " (its events are 1.." +
                                              std::to_string(last) + ")");
  if (std::binary_search(points.begin(), points.end(), seq)) return seq;
  std::string waiting;
  walk(events, [&](const model::Event& e, const auto& open) {
    if (e.seq != seq || open.empty()) return;
    waiting = "tool call " + open.begin()->first + " (model response at seq " +
              std::to_string(open.begin()->second) + ") has no result yet";
  });
  auto after = std::upper_bound(points.begin(), points.end(), seq);
  std::string msg = "seq " + std::to_string(seq) + " of session " + session +
                    " is inside a turn: " + waiting + "; fork at seq " +
                    std::to_string(*std::prev(after));
  if (after != points.end())
    msg += " (before) or seq " + std::to_string(*after) + " (after)";
  else
    msg += " (before), or once the turn has finished";
  return make_error(ErrorCode::invalid, msg);
}

}  // namespace harness::agent
