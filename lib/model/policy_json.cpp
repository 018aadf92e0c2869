// JSON codec of Policy (the leaf object's "policy" field, docs/api.md).

#include <cmath>

#include "lib/model/policy.hpp"

namespace harness::model {
namespace {

Json rule_texts(const std::vector<Rule>& rules) {
  Json out = Json::array();
  for (const Rule& r : rules) out.push_back(r.text);
  return out;
}

Error type_error(std::string_view key, std::string_view expected) {
  return make_error(ErrorCode::invalid,
                    "policy: \"" + std::string(key) + "\" must be " + std::string(expected));
}

// The strings of j[key] (absent or null = none).
Result<std::vector<std::string>> strings_at(const Json& j, std::string_view key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return type_error(key, "an array of strings");
  for (const Json& item : *it) {
    if (!item.is_string()) return type_error(key, "an array of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::vector<Rule>> rules_at(const Json& j, std::string_view key) {
  HARNESS_TRY_ASSIGN(auto texts, strings_at(j, key));
  std::vector<Rule> out;
  for (const std::string& t : texts) {
    HARNESS_TRY_ASSIGN(Rule r, parse_rule(t));
    out.push_back(std::move(r));
  }
  return out;
}

Status read_scalars(const Json& j, Policy& p) {
  if (auto it = j.find("name"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return type_error("name", "a string");
    p.name = it->get<std::string>();
  }
  if (auto it = j.find("default"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return type_error("default", "\"allow\", \"ask\" or \"deny\"");
    HARNESS_TRY_ASSIGN(p.fallback, parse_verdict(it->get<std::string>()));
  }
  if (auto it = j.find("four_eyes"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return type_error("four_eyes", "true or false");
    p.four_eyes = it->get<bool>();
  }
  if (auto it = j.find("gate_timeout_s"); it != j.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1e12)
      return type_error("gate_timeout_s", "null or a number of seconds >= 0");
    p.gate_timeout_ms = static_cast<std::int64_t>(std::llround(it->get<double>() * 1000));
  }
  return {};
}

}  // namespace

Json to_json(const Policy& p) {
  Json timeout = nullptr;
  if (p.gate_timeout_ms > 0 && p.gate_timeout_ms % 1000 == 0)
    timeout = p.gate_timeout_ms / 1000;
  else if (p.gate_timeout_ms > 0)
    timeout = static_cast<double>(p.gate_timeout_ms) / 1000.0;
  return Json{{"name", p.name},
              {"allow", rule_texts(p.allow)},
              {"ask", rule_texts(p.ask)},
              {"deny", rule_texts(p.deny)},
              {"default", to_string(p.fallback)},
              {"approvers", p.approvers},
              {"four_eyes", p.four_eyes},
              {"gate_timeout_s", timeout}};
}

Result<Policy> policy_from_json(const Json& j) {
  if (!j.is_object()) return make_error(ErrorCode::invalid, "policy: expected a JSON object");
  Policy p;
  HARNESS_TRY(read_scalars(j, p));
  HARNESS_TRY_ASSIGN(p.allow, rules_at(j, "allow"));
  HARNESS_TRY_ASSIGN(p.ask, rules_at(j, "ask"));
  HARNESS_TRY_ASSIGN(p.deny, rules_at(j, "deny"));
  HARNESS_TRY_ASSIGN(p.approvers, strings_at(j, "approvers"));
  for (const std::string& a : p.approvers) HARNESS_TRY(check_principal(a));
  return p;
}

}  // namespace harness::model
