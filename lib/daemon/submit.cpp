#include "lib/daemon/submit.hpp"

#include <filesystem>

#include "lib/base/base64.hpp"
#include "lib/base/ids.hpp"
#include "lib/daemon/submit_checks.hpp"

namespace harness::daemon {
namespace {
using Json = nlohmann::json;

Error bad(std::string m) {
  return make_error(ErrorCode::bad_request, std::move(m));
}
Error invalid(std::string m) {
  return make_error(ErrorCode::invalid, std::move(m));
}

Status check_type(const Json& body, const char* key, Json::value_t want, const char* what) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  bool ok = it->type() == want || (want == Json::value_t::number_float && it->is_number()) ||
            (want == Json::value_t::number_integer && it->is_number_integer());
  if (!ok) return bad(std::string("field '") + key + "' must be " + what);
  return {};
}

std::string profile_names(const auto& profiles) {
  std::string names;
  for (const auto& [name, _] : profiles) names += (names.empty() ? "" : ", ") + name;
  return names.empty() ? "none" : names;
}

Status parse_inputs(const Json& body, const config::Config& cfg, SubmitPlan& plan) {
  auto it = body.find("inputs");
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_array()) return bad("field 'inputs' must be an array of {path, data_b64}");
  std::int64_t total = 0;
  for (const auto& in : *it) {
    if (!in.is_object() || !in.contains("path") || !in["path"].is_string() ||
        !in.contains("data_b64") || !in["data_b64"].is_string())
      return bad("each entry of 'inputs' must be {\"path\": string, \"data_b64\": string}");
    std::string path = model::str_at(in, "path");
    HARNESS_TRY(check_input_path(path));
    auto data = base64_decode(model::str_at(in, "data_b64"));
    if (!data) return bad("input '" + path + "': data_b64 is not valid base64");
    total += static_cast<std::int64_t>(data->size());
    if (total > cfg.max_input_bytes)
      return make_error(ErrorCode::too_large, "inputs exceed the limit of " +
                                                  std::to_string(cfg.max_input_bytes) + " bytes");
    plan.spec.inputs.push_back(path);
    plan.inputs.push_back(InputFile{std::move(path), std::move(*data)});
  }
  return {};
}

Status parse_fields(const Json& body, const config::Config& cfg, SubmitPlan& plan) {
  using V = Json::value_t;
  HARNESS_TRY(check_type(body, "prompt", V::string, "a string"));
  HARNESS_TRY(check_type(body, "model", V::string, "a string"));
  HARNESS_TRY(check_type(body, "sandbox", V::string, "a string"));
  HARNESS_TRY(check_type(body, "workdir", V::string, "a string"));
  HARNESS_TRY(check_type(body, "session", V::string, "a string"));
  HARNESS_TRY(check_type(body, "labels", V::object, "an object of strings"));
  HARNESS_TRY(check_type(body, "run_as", V::string, "a user name"));
  plan.run_as = model::str_at(body, "run_as");
  auto& s = plan.spec;
  s.prompt = model::str_at(body, "prompt");
  if (s.prompt.empty()) return bad("field 'prompt' is required and must not be empty");
  s.model = model::str_at(body, "model");
  s.sandbox = model::str_at(body, "sandbox");
  s.workdir = model::str_at(body, "workdir");
  plan.max_turns_given = body.contains("max_turns") && !body["max_turns"].is_null();
  plan.timeout_given = body.contains("timeout_s") && !body["timeout_s"].is_null();
  HARNESS_TRY_ASSIGN(s.max_turns, max_turns_field(body, cfg.default_max_turns));
  HARNESS_TRY_ASSIGN(s.timeout_ms, timeout_ms_field(body));
  HARNESS_TRY_ASSIGN(s.token_budget, token_budget_field(body));
  HARNESS_TRY_ASSIGN(s.budget_usd, budget_usd_field(body));
  HARNESS_TRY_ASSIGN(s.inactivity_ms, inactivity_ms_field(body));
  plan.token_budget_given = s.token_budget > 0;
  plan.budget_usd_given = s.budget_usd > 0;
  plan.inactivity_given = s.inactivity_ms > 0;
  // A new session takes the daemon's defaults; a resumed one its session's (pin_to_session).
  if (!plan.token_budget_given) s.token_budget = cfg.default_token_budget;
  if (!plan.budget_usd_given) s.budget_usd = cfg.default_budget_usd;
  if (!plan.inactivity_given) s.inactivity_ms = cfg.default_inactivity_ms;
  for (auto& [k, v] : model::object_at(body, "labels").items()) {
    if (!v.is_string()) return bad("label '" + k + "' must have a string value");
    if (k.empty()) return invalid("label keys must not be empty");
    s.labels[k] = v.get<std::string>();
  }
  HARNESS_TRY(check_type(body, "policy", V::string, "a string"));
  plan.policy_name = model::str_at(body, "policy");
  for (const char* key : {"ask", "allow", "deny"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    auto& list = std::string_view(key) == "ask"     ? plan.narrowing.ask
                 : std::string_view(key) == "allow" ? plan.narrowing.allow
                                                    : plan.narrowing.deny;
    if (!it->is_array()) return bad(std::string("field '") + key + "' must be an array of rules");
    for (const auto& r : *it) {
      if (!r.is_string()) return bad(std::string("field '") + key + "' must hold strings");
      list.push_back(r.get<std::string>());
    }
  }
  return parse_inputs(body, cfg, plan);
}

}  // namespace

Status validate_plan(SubmitPlan& plan, const config::Config& cfg) {
  auto& s = plan.spec;
  if (s.model.empty()) s.model = "default";
  if (s.sandbox.empty()) s.sandbox = "default";
  if (!cfg.models.count(s.model))
    return invalid("unknown model profile '" + s.model + "' (configured: " +
                   profile_names(cfg.models) + "); add [models." + s.model + "] to the config");
  if (!cfg.sandboxes.count(s.sandbox))
    return invalid("unknown sandbox profile '" + s.sandbox +
                   "' (configured: " + profile_names(cfg.sandboxes) + ")");
  if (!s.workdir.empty() && s.workdir.front() != '/')
    return invalid("workdir '" + s.workdir + "' must be an absolute path");
  return {};
}

Result<SubmitPlan> parse_submit(const std::string& body, const std::string& session_from_path,
                                const config::Config& cfg) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded()) return bad("request body is not valid JSON");
  if (!j.is_object()) return bad("request body must be a JSON object");
  SubmitPlan plan;
  HARNESS_TRY(parse_fields(j, cfg, plan));
  plan.session = session_from_path.empty() ? model::str_at(j, "session") : session_from_path;
  if (!plan.session.empty() && !is_valid_id(plan.session, "ses_"))
    return make_error(ErrorCode::not_found, "no such session " + plan.session);
  // Resumed leaves validate after inheriting from the previous leaf.
  if (plan.session.empty()) HARNESS_TRY(validate_plan(plan, cfg));
  return plan;
}

Status resolve_policy(SubmitPlan& plan, const config::Config& cfg, const model::Leaf* previous,
                      bool admin) {
  model::Policy base;
  base.name = "default";
  auto from_config = [&](const std::string& name) -> Status {
    auto it = cfg.policies.find(name);
    if (it == cfg.policies.end())
      return invalid("unknown policy '" + name + "' (configured: " + profile_names(cfg.policies) +
                     ")");
    base = it->second;
    return {};
  };
  if (previous && !previous->spec.policy.is_null()) {
    HARNESS_TRY_ASSIGN(base, model::policy_from_json(previous->spec.policy));
    if (!plan.policy_name.empty() && plan.policy_name != base.name) {
      if (!admin)
        return make_error(
            ErrorCode::forbidden,
            "session " + plan.session + " keeps its policy '" + base.name +
                "'; narrow it with --ask/--deny/--allow (only an admin may change it)");
      HARNESS_TRY(from_config(plan.policy_name));
    }
  } else if (!plan.policy_name.empty()) {
    HARNESS_TRY(from_config(plan.policy_name));
  } else if (cfg.policies.count("default")) {
    HARNESS_TRY(from_config("default"));
  }
  HARNESS_TRY_ASSIGN(model::Policy effective, model::narrow(base, plan.narrowing));
  plan.spec.policy = model::to_json(effective);
  return {};
}

void inherit_from(SubmitPlan& plan, const model::Leaf& previous) {
  auto& s = plan.spec;
  if (s.model.empty()) s.model = previous.spec.model;
  if (s.sandbox.empty()) s.sandbox = previous.spec.sandbox;
  if (s.workdir.empty()) {
    s.workdir = previous.spec.workdir;
    s.workspace = previous.spec.workspace;
  }
}

}  // namespace harness::daemon
