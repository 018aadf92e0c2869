#include "lib/agent/event_metrics.hpp"

#include <set>
#include <string>
#include <unordered_map>

#include "lib/agent/gates.hpp"
#include "lib/base/metrics.hpp"
#include "lib/model/json.hpp"
#include "lib/sandbox/tools.hpp"

namespace harness::agent {
namespace {
using metrics::Family;

double seconds(std::int64_t ms) {
  return static_cast<double>(ms) / 1000.0;
}

// "ok" (exit 0), "nonzero" (another exit status), "error" (no exit status: refused, timed out,
// a failed file operation), "interrupted" (the daemon stopped while it ran).
std::string exit_class(const model::Json& d) {
  if (model::bool_at(d, "interrupted")) return "interrupted";
  auto code = d.find("exit_code");
  if (code == d.end() || !code->is_number_integer())
    return model::bool_at(d, "is_error") ? "error" : "ok";
  return model::int_at(d, "exit_code") == 0 ? "ok" : "nonzero";
}

void count_model_response(const model::Leaf& leaf, const model::Event& e) {
  static Family& calls = metrics::counter(
      "harness_model_calls_total",
      "Model call attempts by model profile and outcome (ok, or the HTTP status of a failed "
      "attempt; 'error' when there was none).",
      {"profile", "status"});
  static Family& latency =
      metrics::histogram("harness_model_call_duration_seconds",
                         "Time from sending a model request to its answer, retries included.",
                         {"profile"}, metrics::latency_buckets());
  static Family& tokens = metrics::counter("harness_model_tokens_total",
                                           "Tokens by model profile and kind (input, output, "
                                           "cache_read, cache_write).",
                                           {"profile", "kind"});
  static Family& cost = metrics::counter("harness_model_cost_usd_total",
                                         "Cost in US dollars by model profile (as priced in its "
                                         "profile).",
                                         {"profile"});
  const std::string& p = leaf.spec.model;
  if (e.type == model::event::model_error) {
    std::int64_t status = model::int_at(e.data, "status");
    calls.inc({p, status > 0 ? std::to_string(status) : "error"});
    return;
  }
  calls.inc({p, "ok"});
  latency.observe({p}, seconds(model::int_at(e.data, "latency_ms")));
  model::Usage u = model::usage_from_json(model::object_at(e.data, "usage"));
  tokens.inc({p, "input"}, static_cast<double>(u.input_tokens));
  tokens.inc({p, "output"}, static_cast<double>(u.output_tokens));
  tokens.inc({p, "cache_read"}, static_cast<double>(u.cache_read_tokens));
  tokens.inc({p, "cache_write"}, static_cast<double>(u.cache_write_tokens));
  cost.inc({p}, u.cost_usd);
}

// The tool's name, or "unknown" for a name the model made up: label values stay a bounded set.
std::string known_tool(std::string name) {
  static const std::set<std::string> known = [] {
    std::set<std::string> s;
    for (const auto& t : sandbox::tool_specs()) s.insert(t.name);
    s.insert(request_approval_spec().name);
    return s;
  }();
  return known.count(name) ? name : "unknown";
}

void count_tool(const model::Event& e) {
  static Family& calls = metrics::counter(
      "harness_tool_calls_total",
      "Finished tool calls by tool and exit class (ok, nonzero, error, interrupted).",
      {"tool", "exit_class"});
  static Family& duration =
      metrics::histogram("harness_tool_call_duration_seconds", "How long tool calls ran, by tool.",
                         {"tool"}, metrics::latency_buckets());
  std::string tool = known_tool(model::str_at(e.data, "name"));
  calls.inc({tool, exit_class(e.data)});
  duration.observe({tool}, seconds(model::int_at(e.data, "duration_ms")));
}

// When each open gate opened, by leaf: a verdict observes the wait. Gates opened before this
// daemon started are not observed.
std::unordered_map<std::string, TimeMs>& gate_opened_at() {
  static std::unordered_map<std::string, TimeMs> m;
  return m;
}

void count_gate(const model::Leaf& leaf, const model::Event& e) {
  static Family& opened = metrics::counter("harness_gates_opened_total", "Gates opened.");
  static Family& wait = metrics::histogram(
      "harness_gate_wait_seconds", "Time from a gate opening to its verdict, by verdict.",
      {"verdict"}, {1, 10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400});
  if (e.type == model::event::gate_opened) {
    opened.inc();
    gate_opened_at()[leaf.id] = e.ts;
    return;
  }
  auto it = gate_opened_at().find(leaf.id);
  if (it == gate_opened_at().end()) return;
  wait.observe({model::str_at(e.data, "verdict", "rejected")},
               seconds(std::max<std::int64_t>(0, e.ts - it->second)));
  gate_opened_at().erase(it);
}
}  // namespace

void count_events(const model::Leaf& leaf, const std::vector<model::Event>& events) {
  static Family& submitted =
      metrics::counter("harness_leaves_submitted_total", "Leaves submitted to this daemon.");
  static Family& started = metrics::counter(
      "harness_leaves_started_total",
      "Leaf runs started: fresh, or recovered after a restart (after=crash|shutdown).", {"kind"});
  static Family& finished = metrics::counter("harness_leaves_finished_total",
                                             "Leaves that reached a terminal state, by state "
                                             "and reason.",
                                             {"state", "reason"});
  for (const auto& e : events) {
    if (e.leaf != leaf.id) continue;
    const std::string& t = e.type;
    if (t == model::event::leaf_submitted) {
      submitted.inc();
    } else if (t == model::event::leaf_started) {
      started.inc({"fresh"});
    } else if (t == model::event::leaf_recovered) {
      started.inc({"recovered_after_" + model::str_at(e.data, "after", "crash")});
    } else if (t == model::event::model_response || t == model::event::model_error) {
      count_model_response(leaf, e);
    } else if (t == model::event::tool_finished) {
      count_tool(e);
    } else if (t == model::event::gate_opened || t == model::event::gate_decided) {
      count_gate(leaf, e);
    } else if (t == model::event::leaf_finished) {
      finished.inc({model::str_at(e.data, "state"), model::str_at(e.data, "reason")});
      gate_opened_at().erase(leaf.id);
    }
  }
}

void count_sandbox_start(std::string_view driver, const Status& st) {
  static Family& starts = metrics::counter("harness_sandbox_starts_total",
                                           "Sandboxes started for leaves, by driver.", {"driver"});
  static Family& failures =
      metrics::counter("harness_sandbox_start_failures_total",
                       "Sandboxes that could not be prepared or started, by driver.", {"driver"});
  starts.inc({std::string(driver)});
  if (!st) failures.inc({std::string(driver)});
}

}  // namespace harness::agent
