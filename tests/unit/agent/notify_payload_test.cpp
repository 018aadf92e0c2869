// The approver notification's JSON and signature (docs/notifications.md).
#include <doctest/doctest.h>

#include <string>

#include "lib/agent/notify_payload.hpp"
#include "lib/config/sha256.hpp"

using namespace harness;
using harness::model::Json;

namespace {
model::Leaf gated_leaf() {
  model::Leaf leaf;
  leaf.id = "lf_1";
  leaf.session = "ses_1";
  leaf.state = model::LeafState::awaiting_approval;
  leaf.open_gate = 2;
  leaf.gates = 2;
  leaf.spec.policy = Json{{"name", "prod"}};
  leaf.spec.submitted_by = Json{{"name", "alice"}, {"uid", 1000}, {"transport", "unix"}};
  leaf.gate = Json{{"gate", 2},
                   {"tool", "bash"},
                   {"kind", "policy"},
                   {"rule", "bash:git*"},
                   {"command", "git push"},
                   {"diff", nullptr},
                   {"input", {{"command", "git push"}}},
                   {"opened_at", "2026-01-01T00:00:00.000Z"}};
  return leaf;
}
}  // namespace

TEST_CASE("notification payload: the gate as approvals shows it, and paste-ready verdict lines") {
  Json n = agent::notification_payload(gated_leaf(), "ops");
  CHECK(n["event"] == "gate_opened");
  CHECK(n["notifier"] == "ops");
  CHECK(n["leaf"] == "lf_1");
  CHECK(n["session"] == "ses_1");
  CHECK(n["gate"] == 2);
  CHECK(n["policy"] == "prod");
  CHECK(n["tool"] == "bash");
  CHECK(n["command"] == "git push");
  CHECK(n["diff"].is_null());
  CHECK(n["summary"].is_null());
  CHECK(n["expires_at"].is_null());
  CHECK(n["opened_at"] == "2026-01-01T00:00:00.000Z");
  CHECK(n["submitted_by"]["name"] == "alice");
  CHECK(n["approve"] == "harnessctl approve lf_1 --gate 2");
  CHECK(n["reject"] == "harnessctl reject lf_1 --gate 2");
  CHECK_FALSE(n.contains("input"));  // the command or diff, once
}

TEST_CASE("notification headers: signed over TIMESTAMP.BODY only when there is a secret") {
  std::string body = R"({"leaf":"lf_1"})";
  auto signed_headers = agent::notification_headers(body, "k", "lf_1.2.ops", 1700000000);
  auto value = [](const auto& headers, const std::string& name) {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return std::string("(absent)");
  };
  CHECK(value(signed_headers, "X-Harness-Timestamp") == "1700000000");
  CHECK(value(signed_headers, "X-Harness-Delivery") == "lf_1.2.ops");
  CHECK(value(signed_headers, "Content-Type") == "application/json");
  CHECK(value(signed_headers, "X-Harness-Signature") ==
        "sha256=" + config::hmac_sha256_hex("k", "1700000000." + body));
  // A different body or time gives a different signature.
  CHECK(agent::notification_signature(body + " ", "k", 1700000000) !=
        value(signed_headers, "X-Harness-Signature"));
  CHECK(agent::notification_signature(body, "k", 1700000001) !=
        value(signed_headers, "X-Harness-Signature"));
  auto unsigned_headers = agent::notification_headers(body, "", "lf_1.2.ops", 1700000000);
  CHECK(value(unsigned_headers, "X-Harness-Signature") == "(absent)");
}
