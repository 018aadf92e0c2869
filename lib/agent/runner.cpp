#include "lib/agent/runner.hpp"

#include <spdlog/spdlog.h>

#include "lib/agent/event_metrics.hpp"
#include "lib/agent/gates.hpp"
#include "lib/agent/limits.hpp"
#include "lib/agent/workspace_changes.hpp"
#include "lib/loop/defer.hpp"
#include "lib/sandbox/tools.hpp"

namespace harness::agent {
namespace {
using model::EventDraft;
using model::Json;
using model::LeafState;

std::int64_t leaf_timeout_ms(const model::Leaf& leaf, const config::Config& cfg) {
  return leaf.spec.timeout_ms > 0 ? leaf.spec.timeout_ms : cfg.default_timeout_ms;
}

}  // namespace

LeafRunner::LeafRunner(AgentContext ctx, model::Leaf leaf, DoneFn on_done)
    : m_ctx(std::move(ctx)),
      m_leaf(std::move(leaf)),
      m_on_done(std::move(on_done)),
      m_deadline(m_ctx.loop),
      m_inactivity(m_ctx.loop),
      m_retry(m_ctx.loop) {}

LeafRunner::~LeafRunner() {
  if (m_model_call) m_ctx.models->cancel(m_model_call);
}

void LeafRunner::start(StartKind how) {
  guard("starting", [&] {
    const auto& cfg = *m_ctx.config;
    if (auto it = cfg.models.find(m_leaf.spec.model); it != cfg.models.end()) m_model = &it->second;
    if (auto it = cfg.sandboxes.find(m_leaf.spec.sandbox); it != cfg.sandboxes.end())
      m_sandbox = &it->second;
    if (how == StartKind::after_crash && m_leaf.crashed_recoveries >= k_max_crashed_recoveries) {
      spdlog::error("leaf {}: quarantined: the daemon died during each of its last {} recoveries",
                    m_leaf.id, m_leaf.crashed_recoveries);
      return finish(LeafState::failed, model::reason::internal,
                    "quarantined after " + std::to_string(m_leaf.crashed_recoveries) +
                        " crashed recoveries: the daemon died each time it resumed this leaf, "
                        "so it is not resumed again");
    }
    if (!m_leaf.spec.policy.is_null()) {
      if (auto p = model::policy_from_json(m_leaf.spec.policy)) m_policy = std::move(*p);
    }
    EventDraft first{std::string(model::event::leaf_started), Json::object()};
    if (how != StartKind::fresh) {
      first.type = model::event::leaf_recovered;
      first.data = Json{
          {"after", how == StartKind::after_crash ? model::after_crash : model::after_shutdown}};
    }
    if (!cfg.node.empty()) first.data["node"] = cfg.node;
    append({std::move(first)}, [this](const model::Leaf& leaf) {
      if (!m_model || !m_sandbox) {
        // The profile was removed from the config while the leaf waited.
        return finish(LeafState::failed, model::reason::internal,
                      "model profile '" + leaf.spec.model + "' or sandbox profile '" +
                          leaf.spec.sandbox + "' is no longer configured");
      }
      // Time spent waiting at gates does not count against max_duration.
      std::int64_t left =
          leaf.started_at + leaf.gate_wait_ms + leaf_timeout_ms(leaf, *m_ctx.config) - now_ms();
      std::weak_ptr<LeafRunner> weak = weak_from_this();
      m_deadline.start(static_cast<std::uint64_t>(std::max<std::int64_t>(left, 0)), [weak] {
        auto self = weak.lock();
        if (!self || self->m_stopped) return;
        self->guard("at max_duration", [&] {
          self->finish(LeafState::failed, model::reason::max_duration,
                       "the leaf exceeded its max_duration of " +
                           format_duration_ms(leaf_timeout_ms(self->m_leaf, *self->m_ctx.config)));
        });
      });
      touch();
      read_log();
    });
  });
}

void LeafRunner::on_history(std::vector<model::Event> events) {
  History h = build_history(events, m_leaf.id);
  m_messages = std::move(h.messages);
  m_turn = h.turns;
  if (h.answered && m_turn > 0) {
    // The final answer was persisted but the daemon stopped before the leaf was marked done.
    return finish(LeafState::succeeded, model::reason::completed, "", h.final_text);
  }
  if (!h.calls.empty()) {
    m_calls = std::move(h.calls);
    m_known_results = std::move(h.finished_results);
    m_results.clear();
    m_next_call = 0;
    return run_next_call();
  }
  call_model();
}

void LeafRunner::touch() {
  if (m_leaf.spec.inactivity_ms <= 0 || m_stopped) return;
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  m_inactivity.start(static_cast<std::uint64_t>(m_leaf.spec.inactivity_ms), [weak] {
    auto self = weak.lock();
    if (!self || self->m_stopped) return;
    self->guard("at the inactivity limit", [&] {
      self->finish(LeafState::failed, model::reason::inactivity,
                   "no model response and no tool output for " +
                       format_duration_ms(self->m_leaf.spec.inactivity_ms) + " (inactivity)");
    });
  });
}

void LeafRunner::call_model() {
  if (m_draining) {
    spdlog::info("leaf {}: stopped for shutdown before model turn {}", m_leaf.id, m_turn + 1);
    return stop();  // the call is made after the restart
  }
  if (auto why = budget_reached(m_leaf))
    return finish(LeafState::failed, model::reason::budget, *why);
  model::ModelRequest req;
  req.system = m_ctx.config->system_prompt;
  req.messages = m_messages;
  req.tools = sandbox::tool_specs();
  req.tools.push_back(request_approval_spec());
  req.max_tokens = m_model->max_tokens;
  int turn = m_turn + 1;
  std::weak_ptr<LeafRunner> weak = weak_from_this();
  TimeMs started = now_ms();
  auto on_attempt = [weak, turn](const model_api::AttemptFailure& f) {
    auto self = weak.lock();
    if (!self || self->m_stopped) return;
    self->guard("recording a failed model attempt", [&] {
      Json d{{"turn", turn}, {"attempt", f.attempt}, {"status", f.status}, {"message", f.message}};
      d["retry_in_ms"] = f.retry_in_ms >= 0 ? Json(f.retry_in_ms) : Json(nullptr);
      // Informational: lost if the store refuses it, the call goes on regardless.
      self->m_ctx.journal->append(self->m_leaf.id, {{std::string(model::event::model_error), d}},
                                  [](auto&&) {});
    });
  };
  m_model_call = m_ctx.models->complete(
      *m_model, std::move(req), on_attempt, [weak, started](Result<model::ModelResponse> r) {
        auto self = weak.lock();
        if (!self) return;
        self->m_model_call = 0;
        if (self->m_stopped) return;
        self->guard("after the model call", [&] { self->on_model_done(std::move(r), started); });
      });
  prestart();
}

void LeafRunner::on_model_done(Result<model::ModelResponse> r, TimeMs started) {
  if (!r) {
    return finish(LeafState::failed, model::reason::model_error,
                  "model '" + m_model->name + "' failed: " + r.error().message);
  }
  model::ModelResponse resp = std::move(*r);
  touch();
  const auto& u = resp.usage;
  resp.usage.cost_usd = model::cost_usd(*m_model, u.input_tokens, u.output_tokens,
                                        u.cache_read_tokens, u.cache_write_tokens);
  int turn = m_turn + 1;
  Json d = model::to_json(resp);
  d["turn"] = turn;
  d["latency_ms"] = now_ms() - started;
  append({{std::string(model::event::model_response), std::move(d)}},
         [this, resp, turn](const model::Leaf&) {
           m_turn = turn;
           model::Message message = persisted_message(resp.message);
           m_messages.push_back(message);
           if (message.tool_calls.empty())
             return finish(LeafState::succeeded, model::reason::completed, "", message.text);
           // The response that takes the leaf over its budget ends it: its tool calls don't run.
           if (auto why = budget_reached(m_leaf))
             return finish(LeafState::failed, model::reason::budget, *why);
           if (m_turn >= m_leaf.spec.max_turns)
             return finish(LeafState::failed, model::reason::max_turns,
                           "stopped after " + std::to_string(m_turn) +
                               " turns (max_turns) while the model still wanted to call tools");
           m_calls.clear();
           for (const auto& c : message.tool_calls) m_calls.push_back(pending_call(c));
           m_results.clear();
           m_known_results.clear();
           m_next_call = 0;
           run_next_call();
         });
}

void LeafRunner::run_next_call() {
  if (m_next_call == m_calls.size()) {
    model::Message user;
    user.role = model::Role::user;
    user.tool_results = std::move(m_results);
    m_results.clear();
    m_messages.push_back(std::move(user));
    return call_model();
  }
  const PendingCall& pc = m_calls[m_next_call];
  if (pc.status == CallStatus::finished) {
    for (const auto& known : m_known_results)
      if (known.call_id == pc.call.id) m_results.push_back(known);
    ++m_next_call;
    return run_next_call();
  }
  if (pc.status == CallStatus::started && !sandbox::is_read_only(pc.call.name)) {
    // Started before a crash and never finished: not re-run, the model is told so.
    model::ToolResult res{pc.call.id, interrupted_result_text(pc.call), true};
    Json d{{"call_id", pc.call.id}, {"name", pc.call.name}, {"exit_code", nullptr},
           {"output", res.content}, {"is_error", true},     {"interrupted", true},
           {"duration_ms", 0}};
    return record_result(pc.call, std::move(d), std::move(res));
  }
  handle_call(pc);
}

void LeafRunner::run_tool(const model::ToolCall& call) {
  if (m_draining) {
    spdlog::info("leaf {}: stopped for shutdown before tool call {}", m_leaf.id, call.id);
    return stop();  // the call runs after the restart
  }
  Json started{{"call_id", call.id}, {"name", call.name}, {"input", call.input}};
  append({{std::string(model::event::tool_started), std::move(started)}}, [this, call](
                                                                              const model::Leaf&) {
    with_channel([this, call](Status s) {
      give_back_prestart();
      if (!s) return finish(LeafState::failed, model::reason::sandbox_error, s.error().message);
      sandbox::ToolLimits lim{m_sandbox->tool_timeout_ms, m_sandbox->output_cap_bytes};
      std::weak_ptr<LeafRunner> weak = weak_from_this();
      TimeMs t0 = now_ms();
      sandbox::run_tool(
          *m_channel, *m_driver, call, lim, [weak, call, t0](Result<sandbox::ToolOutcome> r) {
            auto self = weak.lock();
            if (!self || self->m_stopped) return;
            self->guard("after the tool call", [&] {
              if (!r) {
                return self->finish(LeafState::failed, model::reason::sandbox_error,
                                    "sandbox '" + self->m_sandbox->name + "' (" +
                                        self->m_sandbox->driver + "): " + r.error().message);
              }
              self->touch();
              Json d{{"call_id", call.id},   {"name", call.name},
                     {"output", r->content}, {"is_error", r->is_error},
                     {"interrupted", false}, {"duration_ms", now_ms() - t0}};
              d["exit_code"] = r->exit_code ? Json(*r->exit_code) : Json(nullptr);
              self->record_result(call, std::move(d),
                                  model::ToolResult{call.id, r->content, r->is_error});
            });
          });
    });
  });
}

void LeafRunner::record_result(const model::ToolCall& call, Json data, model::ToolResult result) {
  append({{std::string(model::event::tool_finished), std::move(data)}},
         [this, result = std::move(result)](const model::Leaf&) {
           m_results.push_back(result);
           m_results.back().content = persisted_text("output", result.content);
           ++m_next_call;
           run_next_call();
         });
}

std::string LeafRunner::persisted_text(const char* key, std::string fallback) const {
  if (m_appended.empty()) return fallback;
  auto it = m_appended.front().data.find(key);
  if (it == m_appended.front().data.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

model::Message LeafRunner::persisted_message(model::Message fallback) const {
  if (m_appended.empty()) return fallback;
  auto it = m_appended.front().data.find("message");
  if (it == m_appended.front().data.end()) return fallback;
  auto m = model::message_from_json(*it);
  if (!m) return fallback;
  m->role = model::Role::assistant;
  return std::move(*m);
}

void LeafRunner::finish(LeafState state, std::string_view reason, std::string message,
                        std::optional<std::string> result) {
  if (m_stopped) return;
  halt();
  auto self = shared_from_this();  // alive until its end is recorded (or given up)
  with_workspace_changes(
      m_ctx.loop, m_leaf, m_sandbox, m_ctx.config->node,
      {model::finished_event(state, reason, message, result)},
      [self](std::vector<EventDraft> drafts) {
        if (self->m_released) return;  // stopped meanwhile: cancelled, or the daemon stops
        try {
          self->record_end(std::make_shared<const std::vector<EventDraft>>(std::move(drafts)));
        } catch (const std::exception& e) {
          // From a libuv callback: nothing may escape. The leaf resumes after the next start.
          spdlog::error("leaf {}: cannot record its end: {}", self->m_leaf.id, e.what());
          try {
            self->release();
          } catch (...) {
            // Nothing else can be done; the leaf is recovered after the next start.
          }
        }
      });
}

void LeafRunner::stop() {
  if (!m_stopped) halt();
  m_retry.stop();
  release();
}

void LeafRunner::drain() {
  m_draining = true;
  // Waiting to retry a write: the store is failing, the grace would only be spent waiting.
  if (m_retry.active()) stop();
}

void LeafRunner::halt() {
  m_stopped = true;
  m_deadline.stop();
  m_inactivity.stop();
  m_retry.stop();
  if (m_model_call) m_ctx.models->cancel(std::exchange(m_model_call, 0));
  loop::defer_destroy(m_ctx.loop, std::move(m_channel));
  if (m_driver) m_driver->finish(m_ctx.loop, [] {});
}

void LeafRunner::release() {
  if (m_released) return;
  m_released = true;
  give_back_prestart();
  if (m_on_done) m_on_done(m_leaf.id);
}

}  // namespace harness::agent
