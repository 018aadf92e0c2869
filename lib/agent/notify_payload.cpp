#include "lib/agent/notify_payload.hpp"

#include "lib/config/sha256.hpp"
#include "lib/model/json.hpp"

namespace harness::agent {
namespace {
using model::Json;

// The gate's fields an approver needs, as the gate_opened event (and `approvals`) has them.
constexpr const char* k_gate_fields[] = {
    "tool",      "kind",      "rule", "command", "diff", "summary", "proposed_action",
    "opened_at", "expires_at"};
}  // namespace

Json notification_payload(const model::Leaf& leaf, std::string_view notifier) {
  std::int64_t gate = model::int_at(leaf.gate, "gate", leaf.open_gate);
  std::string where = leaf.id + " --gate " + std::to_string(gate);
  Json body{{"event", "gate_opened"},
            {"notifier", notifier},
            {"leaf", leaf.id},
            {"session", leaf.session},
            {"gate", gate},
            {"policy", model::str_at(leaf.spec.policy, "name")},
            {"submitted_by", leaf.spec.submitted_by},
            {"approve", "harnessctl approve " + where},
            {"reject", "harnessctl reject " + where}};
  for (const char* key : k_gate_fields) {
    auto it = leaf.gate.is_object() ? leaf.gate.find(key) : leaf.gate.end();
    body[key] = leaf.gate.is_object() && it != leaf.gate.end() ? *it : Json(nullptr);
  }
  return body;
}

std::string notification_signature(std::string_view body, std::string_view secret,
                                   std::int64_t unix_seconds) {
  std::string signed_text = std::to_string(unix_seconds) + ".";
  signed_text.append(body);
  return "sha256=" + config::hmac_sha256_hex(secret, signed_text);
}

std::vector<std::pair<std::string, std::string>> notification_headers(std::string_view body,
                                                                      std::string_view secret,
                                                                      std::string_view delivery,
                                                                      std::int64_t unix_seconds) {
  std::vector<std::pair<std::string, std::string>> h = {
      {"Content-Type", "application/json"},
      {"User-Agent", "harnessd"},
      {"X-Harness-Event", "gate_opened"},
      {"X-Harness-Delivery", std::string(delivery)},
      {"X-Harness-Timestamp", std::to_string(unix_seconds)}};
  if (!secret.empty())
    h.emplace_back("X-Harness-Signature", notification_signature(body, secret, unix_seconds));
  return h;
}

}  // namespace harness::agent
