#pragma once
// Plain domain types for leaves, sessions and events, their JSON codecs and the projection of a
// session's event log onto leaf rows. No I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/account.hpp"
#include "lib/base/result.hpp"
#include "lib/base/time.hpp"
#include "lib/model/json.hpp"

namespace harness::model {

enum class LeafState { queued, running, awaiting_approval, succeeded, failed, rejected, cancelled };

std::string_view to_string(LeafState s);
Result<LeafState> parse_leaf_state(std::string_view s);
bool is_terminal(LeafState s);
// The state machine of SPEC §3: may a leaf move from `from` to `to`?
bool can_transition(LeafState from, LeafState to);

// Machine-readable reasons carried by terminal leaves.
namespace reason {
inline constexpr std::string_view completed = "completed";
inline constexpr std::string_view model_error = "model_error";
inline constexpr std::string_view sandbox_error = "sandbox_error";
inline constexpr std::string_view max_turns = "max_turns";
inline constexpr std::string_view max_duration = "max_duration";
inline constexpr std::string_view inactivity = "inactivity";
inline constexpr std::string_view budget = "budget";
inline constexpr std::string_view interrupted = "interrupted";
inline constexpr std::string_view internal = "internal";
inline constexpr std::string_view cancelled = "cancelled";
inline constexpr std::string_view rejected = "rejected";
}  // namespace reason

// True for the reasons that are limits (exit code 7 rather than 3).
bool is_limit_reason(std::string_view reason);

// Tokens and spend. input_tokens counts every input token, cache reads and writes included;
// the cache_* fields say how many of them were cache reads and cache writes (priced apart).
// cost_usd is priced when the response arrives, from the model profile's prices then.
struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cache_read_tokens = 0;
  std::int64_t cache_write_tokens = 0;
  double cost_usd = 0;
  Usage& operator+=(const Usage& o) {
    input_tokens += o.input_tokens;
    output_tokens += o.output_tokens;
    cache_read_tokens += o.cache_read_tokens;
    cache_write_tokens += o.cache_write_tokens;
    cost_usd += o.cost_usd;
    return *this;
  }
};

// What a leaf was asked to do: fixed at submit, stored in its leaf_submitted event.
struct LeafSpec {
  std::string prompt;
  std::string model = "default";    // model profile name
  std::string sandbox = "default";  // sandbox profile name
  std::string workdir;              // host directory bound as the workspace; empty = fresh
  std::vector<std::string> inputs;  // workspace-relative names of files copied in at submit
  int max_turns = 50;
  std::int64_t timeout_ms = 0;  // max_duration; 0 = the daemon's default
  // Budgets and limits (SPEC §4), resolved at submit (request, else the daemon's default);
  // 0 = none. token_budget counts input + output tokens across the leaf.
  std::int64_t token_budget = 0;
  double budget_usd = 0;
  std::int64_t inactivity_ms = 0;  // no model response and no tool output for this long
  std::map<std::string, std::string> labels;
  std::string idempotency_key;
  // Set by the daemon at submit:
  Json policy;        // the effective policy (model::Policy JSON); null = allow everything
  Json submitted_by;  // {"name","uid","transport"} of the caller who submitted
  std::string owner;  // the session's owner: "uid:N" | "token:NAME" (docs/security.md)
  // The account the leaf's tools and the daemon's file operations in its workspace run as (a
  // root daemon); none = the daemon's own account. JSON "run_as": {uid, gid, groups, name}.
  std::optional<Account> run_as;
  // The first leaf of a forked session: {"session": SOURCE, "seq": N}, the source and the
  // last seq copied from it; null otherwise (JSON "forked_from", absent when null).
  Json forked_from;
  std::string envelope;   // <state_dir>/leaves/<id>: result.json + DONE land here
  std::string workspace;  // the host directory the sandbox sees as its workspace
};

struct Leaf {
  std::string id;
  std::string session;
  LeafState state = LeafState::queued;
  std::string reason;   // empty until terminal
  std::string message;  // empty until terminal
  std::optional<std::string> result;
  LeafSpec spec;
  TimeMs created_at = 0;
  TimeMs started_at = 0;   // 0 = not yet
  TimeMs finished_at = 0;  // 0 = not yet
  Usage usage;
  int turns = 0;
  std::int64_t last_seq = 0;      // seq of the last event of this leaf applied to the row
  int gates = 0;                  // gates opened so far (numbered 1, 2, ...)
  int open_gate = 0;              // the gate awaiting a verdict; 0 = none
  Json gate;                      // the open gate's gate_opened data (+ opened_at); null = none
  std::int64_t gate_wait_ms = 0;  // time spent awaiting verdicts (not counted as run time)
  std::string node;  // the daemon that runs or last ran it (leaf_started/recovered "node")
  // leaf_recovered {"after":"crash"} events since the leaf last made progress (a model response,
  // a finished tool call, a gate opened or decided) or was stopped cleanly: how many recoveries
  // in a row ended with the daemon dying. The crash-loop guard (lib/agent) reads it.
  int crashed_recoveries = 0;
};

// Event type names (the log's vocabulary).
namespace event {
inline constexpr std::string_view leaf_submitted = "leaf_submitted";
inline constexpr std::string_view leaf_started = "leaf_started";
inline constexpr std::string_view leaf_recovered = "leaf_recovered";
inline constexpr std::string_view model_request = "model_request";
inline constexpr std::string_view model_response = "model_response";
inline constexpr std::string_view model_error = "model_error";
inline constexpr std::string_view tool_started = "tool_started";
inline constexpr std::string_view tool_finished = "tool_finished";
inline constexpr std::string_view gate_opened = "gate_opened";
inline constexpr std::string_view gate_decided = "gate_decided";
inline constexpr std::string_view workspace_changes = "workspace_changes";
inline constexpr std::string_view leaf_finished = "leaf_finished";
}  // namespace event

// One immutable entry of a session's log.
struct Event {
  std::string session;
  std::int64_t seq = 0;  // 1, 2, 3... per session; assigned by the store
  std::string leaf;
  std::string type;
  TimeMs ts = 0;
  Json data = Json::object();
};

// An event before the store has numbered it.
struct EventDraft {
  std::string type;
  Json data = Json::object();
};

struct Session {
  std::string id;
  std::string owner;  // who created it ("uid:N", "token:NAME"); "" for sessions of old stores
  TimeMs created_at = 0;
  std::int64_t last_seq = 0;
  std::vector<Leaf> leaves;  // oldest first
};

// The `after` of a leaf_recovered event: the previous daemon crashed, or was stopped cleanly.
inline constexpr std::string_view after_crash = "crash";
inline constexpr std::string_view after_shutdown = "shutdown";

// Applies one event of `leaf`'s own to its row (SPEC §2: rows are a projection of the log).
// Returns conflict when the event would move a terminal leaf or break the state machine.
Status apply_event(Leaf& leaf, const Event& e);
// The leaf_finished draft for a terminal state.
EventDraft finished_event(LeafState state, std::string_view reason, std::string_view message,
                          const std::optional<std::string>& result = std::nullopt);

// JSON codecs. The leaf JSON is the API's leaf object (docs/api.md).
Json to_json(const Account& a);
Result<Account> account_from_json(const Json& j);
Json to_json(const LeafSpec& s);
Result<LeafSpec> spec_from_json(const Json& j);
Json to_json(const Leaf& l);
Result<Leaf> leaf_from_json(const Json& j);
Json to_json(const Event& e);
Result<Event> event_from_json(const Json& j);
Json to_json(const Usage& u);
Usage usage_from_json(const Json& j);

}  // namespace harness::model
