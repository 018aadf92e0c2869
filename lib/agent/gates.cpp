// Gates in the agent loop. Before a tool call runs, the leaf's policy decides it: allow runs it,
// deny answers the model with an error result, ask (or a request_approval call) opens a gate:
// the gate_opened event is persisted, the channel is closed and the runner ends, leaving only
// the leaf's rows. A verdict appends gate_decided and starts a new runner, which finds the
// decision in the log (history.cpp) and applies it here: approved calls run without a second
// policy check, rejected ones answer the model with the approver's message.

#include "lib/agent/gates.hpp"

#include <spdlog/spdlog.h>

#include "lib/agent/diff.hpp"
#include "lib/agent/notifier.hpp"
#include "lib/agent/runner.hpp"
#include "lib/agent/workspace_files.hpp"
#include "lib/loop/defer.hpp"

namespace harness::agent {
namespace {
using model::Json;

constexpr std::string_view k_request_approval = "request_approval";
constexpr size_t k_preview_file_cap = 4u << 20;
}  // namespace

model::ToolSpec request_approval_spec() {
  return model::ToolSpec{
      std::string(k_request_approval),
      "Ask a human to approve an action before you take it. The leaf pauses until someone "
      "approves or rejects; the verdict and the approver's message are returned to you.",
      Json{
          {"type", "object"},
          {"properties",
           {{"summary", {{"type", "string"}, {"description", "what you want to do and why"}}},
            {"proposed_action",
             {{"type", "string"}, {"description", "the exact action you will take if approved"}}}}},
          {"required", Json::array({"summary", "proposed_action"})}}};
}

void gate_preview(uv_loop_t* loop, const std::string& host_workspace,
                  const std::optional<Account>& run_as, const model::ToolInput& input,
                  std::function<void(Result<Json>)> done) {
  if (const auto* bash = std::get_if<model::BashInput>(&input))
    return done(Json{{"command", bash->command}});
  const auto* write = std::get_if<model::WriteFileInput>(&input);
  const auto* edit = std::get_if<model::EditFileInput>(&input);
  if (!write && !edit) return done(Json::object());
  std::string path = write ? write->path : edit->path;
  std::string tool = write ? "write_file" : "edit_file";
  auto preview = std::make_shared<Result<Json>>(Json::object());
  loop::run_blocking(
      loop,
      [preview, host_workspace, run_as, path, tool, input] {
        // On a pool thread: nothing may escape; a throw becomes the leaf's internal error.
        try {
          auto old = read_workspace_file(host_workspace, run_as, path, k_preview_file_cap);
          if (!old && old.error().code != ErrorCode::not_found) {
            // A symlink is named, never read through; nor is anything the account may not read.
            (**preview)["diff"] = tool + " " + path + ": " + old.error().message + "\n";
            return;
          }
          std::string before = old ? *old : "";
          if (const auto* w = std::get_if<model::WriteFileInput>(&input)) {
            (**preview)["diff"] = unified_diff(before, w->content, path);
          } else if (const auto* e = std::get_if<model::EditFileInput>(&input)) {
            (**preview)["diff"] =
                edit_preview(before, e->old_text, e->new_text, e->replace_all, path);
          }
        } catch (const std::exception& e) {
          *preview = make_error(ErrorCode::internal, std::string("gate preview: ") + e.what());
        }
      },
      [preview, done] { done(std::move(*preview)); });
}

void LeafRunner::handle_call(const PendingCall& pc) {
  const model::ToolCall& call = pc.call;
  bool is_request = call.name == k_request_approval;
  switch (pc.gate) {
    case GateStatus::approved:
      if (is_request) {
        Json d{{"call_id", call.id}, {"name", call.name},    {"output", pc.verdict_text},
               {"is_error", false},  {"exit_code", nullptr}, {"duration_ms", 0}};
        return record_result(call, std::move(d),
                             model::ToolResult{call.id, pc.verdict_text, false});
      }
      return run_tool(call);
    case GateStatus::rejected: {
      std::string text = is_request ? pc.verdict_text
                                    : "this call was not run: it was " + pc.verdict_text +
                                          " (gate " + std::to_string(pc.gate_no) + ")";
      Json d{{"call_id", call.id},   {"name", call.name}, {"output", text},  {"is_error", true},
             {"exit_code", nullptr}, {"rejected", true},  {"duration_ms", 0}};
      return record_result(call, std::move(d), model::ToolResult{call.id, text, true});
    }
    case GateStatus::open:
      // A verdict is still pending: nothing to run until it comes.
      return park();
    case GateStatus::none:
      break;
  }
  // The input is checked before anything looks at it: policy, gate, preview or sandbox.
  auto input = model::parse_tool_input(call.name, call.input);
  if (!input) {
    std::string text = input.error().message;
    Json d{{"call_id", call.id},   {"name", call.name},     {"output", text},  {"is_error", true},
           {"exit_code", nullptr}, {"invalid_input", true}, {"duration_ms", 0}};
    return record_result(call, std::move(d), model::ToolResult{call.id, text, true});
  }
  if (is_request) return open_gate(call, *input, "request_approval", nullptr);
  model::Decision decision = model::decide(m_policy, call);
  if (decision.verdict == model::Verdict::allow) return run_tool(call);
  if (decision.verdict == model::Verdict::ask)
    return open_gate(call, *input, "policy", decision.rule);
  std::string rule = decision.rule ? decision.rule->text : "default deny";
  std::string text =
      "denied by policy '" + m_policy.name + "' (rule " + rule + "): this call was not run";
  Json d{{"call_id", call.id},   {"name", call.name}, {"output", text}, {"is_error", true},
         {"exit_code", nullptr}, {"denied", true},    {"rule", rule},   {"duration_ms", 0}};
  record_result(call, std::move(d), model::ToolResult{call.id, text, true});
}

void LeafRunner::open_gate(const model::ToolCall& call, const model::ToolInput& input,
                           std::string_view kind, const model::Rule* rule) {
  Json gate{{"gate", m_leaf.gates + 1},
            {"call_id", call.id},
            {"tool", call.name},
            {"input", call.input},
            {"kind", kind},
            {"rule", rule ? Json(rule->text) : Json(nullptr)},
            {"command", nullptr},
            {"diff", nullptr},
            {"summary", nullptr},
            {"proposed_action", nullptr}};
  if (const auto* request = std::get_if<model::RequestApprovalInput>(&input)) {
    gate["summary"] = request->summary;
    gate["proposed_action"] = request->proposed_action;
  }
  gate["expires_at"] = m_policy.gate_timeout_ms > 0
                           ? Json(format_rfc3339(now_ms() + m_policy.gate_timeout_ms))
                           : Json(nullptr);
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  gate_preview(m_ctx.loop, m_leaf.spec.workspace, m_leaf.spec.run_as, input,
               [weak, call, gate](Result<Json> preview) mutable {
                 auto self = weak.lock();
                 if (!self || self->m_stopped) return;
                 self->guard("after the gate preview", [&] {
                   if (!preview)
                     return self->finish(model::LeafState::failed, model::reason::internal,
                                         preview.error().message);
                   for (auto& [k, v] : preview->items()) gate[k] = v;
                   self->open_gate_with(call, std::move(gate));
                 });
               });
}

void LeafRunner::open_gate_with(const model::ToolCall& call, Json gate) {
  auto number = model::int_at(gate, "gate");
  append({{std::string(model::event::gate_opened), std::move(gate)}},
         [this, number, call](const model::Leaf& leaf) {
           spdlog::info("leaf {} awaiting approval: gate {} ({})", m_leaf.id, number, call.name);
           // The gate is durable: telling approvers runs beside it and never holds it up.
           if (m_ctx.notifier) m_ctx.notifier->gate_opened(leaf);
           park();
         });
}

void LeafRunner::park() {
  // The gate is durable; keep nothing for the leaf but its rows.
  stop();
}

}  // namespace harness::agent
