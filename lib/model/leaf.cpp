#include "lib/model/leaf.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>

namespace harness::model {
namespace {
constexpr std::array<std::pair<LeafState, std::string_view>, 7> k_states{{
    {LeafState::queued, "queued"},
    {LeafState::running, "running"},
    {LeafState::awaiting_approval, "awaiting_approval"},
    {LeafState::succeeded, "succeeded"},
    {LeafState::failed, "failed"},
    {LeafState::rejected, "rejected"},
    {LeafState::cancelled, "cancelled"},
}};

Json time_or_null(TimeMs t) {
  return t ? Json(format_rfc3339(t)) : Json(nullptr);
}
Json str_or_null(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

Error bad(std::string what) {
  return make_error(ErrorCode::bad_request, std::move(what));
}

// Typed field access that reports the field name instead of throwing. Integers must be
// integral numbers within T's range (nlohmann would truncate or overflow), floats finite.
template <class T>
Status get_opt(const Json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    constexpr std::int64_t k_sentinel = std::numeric_limits<std::int64_t>::min();
    std::int64_t v = int_at(j, key, k_sentinel);
    if (v == k_sentinel || v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
      return bad(std::string("field '") + key + "' must be an integer in range");
    out = static_cast<T>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!it->is_number() || !std::isfinite(it->get<double>()))
      return bad(std::string("field '") + key + "' must be a finite number");
    out = it->get<T>();
  } else {
    try {
      out = it->get<T>();
    } catch (const std::exception&) {
      return bad(std::string("field '") + key + "' has the wrong type");
    }
  }
  return {};
}

Result<TimeMs> get_time(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return TimeMs{0};
  if (!it->is_string()) return bad(std::string("field '") + key + "' must be a timestamp string");
  return parse_rfc3339(it->get<std::string>());
}
}  // namespace

std::string_view to_string(LeafState s) {
  for (auto& [st, name] : k_states)
    if (st == s) return name;
  return "unknown";
}

Result<LeafState> parse_leaf_state(std::string_view s) {
  for (auto& [st, name] : k_states)
    if (name == s) return st;
  return bad("unknown leaf state '" + std::string(s) +
             "' (queued, running, awaiting_approval, succeeded, failed, rejected, cancelled)");
}

bool is_terminal(LeafState s) {
  return s == LeafState::succeeded || s == LeafState::failed || s == LeafState::rejected ||
         s == LeafState::cancelled;
}

bool can_transition(LeafState from, LeafState to) {
  if (is_terminal(from)) return false;
  switch (to) {
    case LeafState::queued:
      return false;
    case LeafState::running:
      return from == LeafState::queued || from == LeafState::running ||
             from == LeafState::awaiting_approval;
    case LeafState::awaiting_approval:
      return from == LeafState::running;
    case LeafState::succeeded:
    case LeafState::failed:
      return from == LeafState::running || from == LeafState::queued;
    case LeafState::rejected:
      return from == LeafState::awaiting_approval;
    case LeafState::cancelled:
      return true;
  }
  return false;
}

bool is_limit_reason(std::string_view r) {
  return r == reason::max_turns || r == reason::max_duration || r == reason::inactivity ||
         r == reason::budget;
}

Json to_json(const Usage& u) {
  return Json{{"input_tokens", u.input_tokens},
              {"output_tokens", u.output_tokens},
              {"cache_read_input_tokens", u.cache_read_tokens},
              {"cache_creation_input_tokens", u.cache_write_tokens},
              {"cost_usd", u.cost_usd}};
}

Usage usage_from_json(const Json& j) {
  Usage u;
  if (!j.is_object()) return u;
  u.input_tokens = std::max<std::int64_t>(0, int_at(j, "input_tokens"));
  u.output_tokens = std::max<std::int64_t>(0, int_at(j, "output_tokens"));
  u.cache_read_tokens = std::max<std::int64_t>(0, int_at(j, "cache_read_input_tokens"));
  u.cache_write_tokens = std::max<std::int64_t>(0, int_at(j, "cache_creation_input_tokens"));
  if (auto it = j.find("cost_usd"); it != j.end() && it->is_number()) {
    double c = it->get<double>();
    if (std::isfinite(c) && c > 0) u.cost_usd = c;
  }
  return u;
}

Json to_json(const Account& a) {
  return Json{{"uid", a.uid}, {"gid", a.gid}, {"groups", a.groups}, {"name", a.name}};
}

Result<Account> account_from_json(const Json& j) {
  if (!j.is_object() || !j.contains("uid") || !j.contains("gid"))
    return bad("field 'run_as' must be an object with uid and gid");
  Account a;
  if (!get_opt(j, "uid", a.uid) || !get_opt(j, "gid", a.gid) || !get_opt(j, "groups", a.groups) ||
      !get_opt(j, "name", a.name))
    return bad("field 'run_as' has a member of the wrong type");
  return a;
}

Json to_json(const LeafSpec& s) {
  Json j{{"prompt", s.prompt},
         {"model", s.model},
         {"sandbox", s.sandbox},
         {"workdir", str_or_null(s.workdir)},
         {"inputs", s.inputs},
         {"max_turns", s.max_turns},
         {"timeout_s",
          s.timeout_ms ? Json(static_cast<double>(s.timeout_ms) / 1000.0) : Json(nullptr)},
         {"labels", s.labels},
         {"envelope", str_or_null(s.envelope)},
         {"workspace", str_or_null(s.workspace)}};
  if (!s.idempotency_key.empty()) j["idempotency_key"] = s.idempotency_key;
  j["token_budget"] = s.token_budget ? Json(s.token_budget) : Json(nullptr);
  j["budget_usd"] = s.budget_usd > 0 ? Json(s.budget_usd) : Json(nullptr);
  j["inactivity_s"] =
      s.inactivity_ms ? Json(static_cast<double>(s.inactivity_ms) / 1000.0) : Json(nullptr);
  j["policy"] = s.policy;
  j["submitted_by"] = s.submitted_by;
  j["owner"] = str_or_null(s.owner);
  j["run_as"] = s.run_as ? to_json(*s.run_as) : Json(nullptr);
  if (s.forked_from.is_object()) j["forked_from"] = s.forked_from;
  return j;
}

Result<LeafSpec> spec_from_json(const Json& j) {
  if (!j.is_object()) return bad("leaf spec must be a JSON object");
  LeafSpec s;
  HARNESS_TRY(get_opt(j, "prompt", s.prompt));
  HARNESS_TRY(get_opt(j, "model", s.model));
  HARNESS_TRY(get_opt(j, "sandbox", s.sandbox));
  HARNESS_TRY(get_opt(j, "workdir", s.workdir));
  HARNESS_TRY(get_opt(j, "inputs", s.inputs));
  HARNESS_TRY(get_opt(j, "max_turns", s.max_turns));
  double timeout_s = 0;
  HARNESS_TRY(get_opt(j, "timeout_s", timeout_s));
  if (timeout_s < 0 || timeout_s > 1e12) return bad("field 'timeout_s' is out of range");
  s.timeout_ms = std::llround(timeout_s * 1000.0);
  HARNESS_TRY(get_opt(j, "token_budget", s.token_budget));
  HARNESS_TRY(get_opt(j, "budget_usd", s.budget_usd));
  double inactivity_s = 0;
  HARNESS_TRY(get_opt(j, "inactivity_s", inactivity_s));
  if (s.token_budget < 0 || !std::isfinite(s.budget_usd) || s.budget_usd < 0 ||
      !std::isfinite(inactivity_s) || inactivity_s < 0 || inactivity_s > 1e12)
    return bad("a budget or limit of the leaf spec is out of range");
  s.inactivity_ms = std::llround(inactivity_s * 1000.0);
  HARNESS_TRY(get_opt(j, "labels", s.labels));
  HARNESS_TRY(get_opt(j, "idempotency_key", s.idempotency_key));
  HARNESS_TRY(get_opt(j, "envelope", s.envelope));
  HARNESS_TRY(get_opt(j, "workspace", s.workspace));
  if (auto it = j.find("policy"); it != j.end()) s.policy = *it;
  if (auto it = j.find("submitted_by"); it != j.end()) s.submitted_by = *it;
  if (auto it = j.find("forked_from"); it != j.end() && it->is_object()) s.forked_from = *it;
  HARNESS_TRY(get_opt(j, "owner", s.owner));
  if (auto it = j.find("run_as"); it != j.end() && !it->is_null()) {
    HARNESS_TRY_ASSIGN(s.run_as, account_from_json(*it));
  }
  return s;
}

Json to_json(const Leaf& l) {
  Json j = to_json(l.spec);
  j["id"] = l.id;
  j["session"] = l.session;
  j["state"] = to_string(l.state);
  j["reason"] = str_or_null(l.reason);
  j["message"] = str_or_null(l.message);
  j["result"] = l.result ? Json(*l.result) : Json(nullptr);
  j["created_at"] = time_or_null(l.created_at);
  j["started_at"] = time_or_null(l.started_at);
  j["finished_at"] = time_or_null(l.finished_at);
  j["usage"] = to_json(l.usage);
  j["turns"] = l.turns;
  j["last_seq"] = l.last_seq;
  j["gates"] = l.gates;
  j["gate"] = l.gate;
  j["gate_wait_ms"] = l.gate_wait_ms;
  j["node"] = str_or_null(l.node);
  j["crashed_recoveries"] = l.crashed_recoveries;
  return j;
}

Result<Leaf> leaf_from_json(const Json& j) {
  if (!j.is_object()) return bad("leaf must be a JSON object");
  Leaf l;
  HARNESS_TRY_ASSIGN(l.spec, spec_from_json(j));
  HARNESS_TRY(get_opt(j, "id", l.id));
  HARNESS_TRY(get_opt(j, "session", l.session));
  std::string state = "queued";
  HARNESS_TRY(get_opt(j, "state", state));
  HARNESS_TRY_ASSIGN(l.state, parse_leaf_state(state));
  HARNESS_TRY(get_opt(j, "reason", l.reason));
  HARNESS_TRY(get_opt(j, "message", l.message));
  if (j.contains("result") && j["result"].is_string()) l.result = str_at(j, "result");
  HARNESS_TRY_ASSIGN(l.created_at, get_time(j, "created_at"));
  HARNESS_TRY_ASSIGN(l.started_at, get_time(j, "started_at"));
  HARNESS_TRY_ASSIGN(l.finished_at, get_time(j, "finished_at"));
  if (j.contains("usage")) l.usage = usage_from_json(j["usage"]);
  HARNESS_TRY(get_opt(j, "turns", l.turns));
  HARNESS_TRY(get_opt(j, "last_seq", l.last_seq));
  HARNESS_TRY(get_opt(j, "gates", l.gates));
  HARNESS_TRY(get_opt(j, "gate_wait_ms", l.gate_wait_ms));
  if (j.contains("node") && j["node"].is_string()) l.node = str_at(j, "node");
  HARNESS_TRY(get_opt(j, "crashed_recoveries", l.crashed_recoveries));
  if (auto it = j.find("gate"); it != j.end() && it->is_object()) {
    l.gate = *it;
    l.open_gate = static_cast<int>(int_at(*it, "gate"));
  }
  return l;
}

Json to_json(const Event& e) {
  return Json{{"session", e.session},       {"seq", e.seq},  {"leaf", e.leaf}, {"type", e.type},
              {"ts", format_rfc3339(e.ts)}, {"data", e.data}};
}

Result<Event> event_from_json(const Json& j) {
  if (!j.is_object()) return bad("event must be a JSON object");
  Event e;
  HARNESS_TRY(get_opt(j, "session", e.session));
  HARNESS_TRY(get_opt(j, "seq", e.seq));
  HARNESS_TRY(get_opt(j, "leaf", e.leaf));
  HARNESS_TRY(get_opt(j, "type", e.type));
  HARNESS_TRY_ASSIGN(e.ts, get_time(j, "ts"));
  if (j.contains("data")) e.data = j["data"];
  return e;
}

EventDraft finished_event(LeafState state, std::string_view why, std::string_view message,
                          const std::optional<std::string>& result) {
  Json d{{"state", to_string(state)}, {"reason", why}, {"message", message}};
  d["result"] = result ? Json(*result) : Json(nullptr);
  return EventDraft{std::string(event::leaf_finished), std::move(d)};
}

Status apply_event(Leaf& leaf, const Event& e) {
  auto move_to = [&](LeafState to) -> Status {
    if (!can_transition(leaf.state, to))
      return make_error(ErrorCode::conflict,
                        "leaf " + leaf.id + " is " + std::string(to_string(leaf.state)) +
                            " and cannot become " + std::string(to_string(to)));
    leaf.state = to;
    return {};
  };
  if (e.type == event::leaf_submitted) {
    HARNESS_TRY_ASSIGN(leaf.spec, spec_from_json(e.data));
    leaf.id = e.leaf;
    leaf.session = e.session;
    leaf.state = LeafState::queued;
    leaf.created_at = e.ts;
  } else if (e.type == event::leaf_started || e.type == event::leaf_recovered) {
    HARNESS_TRY(move_to(LeafState::running));
    if (!leaf.started_at) leaf.started_at = e.ts;
    if (std::string node = str_at(e.data, "node"); !node.empty()) leaf.node = std::move(node);
    if (e.type == event::leaf_recovered) {
      auto after = e.data.find("after");
      bool crash = after != e.data.end() && after->is_string() && *after == after_crash;
      leaf.crashed_recoveries = crash ? leaf.crashed_recoveries + 1 : 0;
    }
  } else if (e.type == event::model_response) {
    if (is_terminal(leaf.state)) return move_to(LeafState::running);
    leaf.usage += usage_from_json(object_at(e.data, "usage"));
    leaf.turns = static_cast<int>(int_at(e.data, "turn", leaf.turns));
    leaf.crashed_recoveries = 0;
  } else if (e.type == event::tool_finished) {
    // Progress; a tool_started is not: a read-only call that crashed is run again on recovery.
    if (is_terminal(leaf.state)) return move_to(LeafState::running);
    leaf.crashed_recoveries = 0;
  } else if (e.type == event::gate_opened) {
    HARNESS_TRY(move_to(LeafState::awaiting_approval));
    leaf.open_gate = static_cast<int>(int_at(e.data, "gate"));
    leaf.gates = std::max(leaf.gates, leaf.open_gate);
    leaf.crashed_recoveries = 0;
    leaf.gate = e.data;
    leaf.gate["opened_at"] = format_rfc3339(e.ts);
  } else if (e.type == event::gate_decided) {
    auto gate = int_at(e.data, "gate");
    if (leaf.state != LeafState::awaiting_approval || gate == 0 || gate != leaf.open_gate)
      return make_error(ErrorCode::conflict,
                        "gate " + std::to_string(gate) + " of leaf " + leaf.id + " is not open");
    if (auto opened = parse_rfc3339(str_at(leaf.gate, "opened_at")))
      leaf.gate_wait_ms += std::max<std::int64_t>(0, e.ts - *opened);
    leaf.open_gate = 0;
    leaf.gate = nullptr;
    leaf.crashed_recoveries = 0;
    // A rejection that stops the leaf is followed by leaf_finished(rejected) in the same
    // append; the leaf stays awaiting_approval until then.
    if (!bool_at(e.data, "stop")) HARNESS_TRY(move_to(LeafState::running));
  } else if (e.type == event::leaf_finished) {
    HARNESS_TRY_ASSIGN(LeafState to, parse_leaf_state(str_at(e.data, "state")));
    if (!is_terminal(to)) return bad("leaf_finished needs a terminal state");
    HARNESS_TRY(move_to(to));
    leaf.reason = str_at(e.data, "reason");
    leaf.message = str_at(e.data, "message");
    if (e.data.contains("result") && e.data["result"].is_string())
      leaf.result = str_at(e.data, "result");
    leaf.finished_at = e.ts;
    leaf.open_gate = 0;
    leaf.gate = nullptr;
  } else if (is_terminal(leaf.state)) {
    return make_error(ErrorCode::conflict,
                      "leaf " + leaf.id + " is already " + std::string(to_string(leaf.state)));
  }
  leaf.last_seq = e.seq;
  return {};
}

}  // namespace harness::model
