#pragma once
// What an approver notification says and how it is signed (docs/notifications.md). Pure
// functions: the Notifier (notifier.hpp) sends what these build.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/time.hpp"
#include "lib/model/leaf.hpp"

namespace harness::agent {

// The JSON body for the open gate of `leaf` (a row as persisted: its gate is redacted like every
// event), told by notifier `notifier`: the leaf, session, gate number, tool, the exact command or
// diff (as `harnessctl approvals` shows it), who submitted, when it opened, and ready-to-paste
// `harnessctl approve` / `reject` lines.
model::Json notification_payload(const model::Leaf& leaf, std::string_view notifier);

// The headers of one POST of `body`: Content-Type, X-Harness-Event, X-Harness-Delivery
// (`delivery`, the same for every attempt), X-Harness-Timestamp (`unix_seconds`) and, when
// `secret` is not empty, X-Harness-Signature: "sha256=" + hex HMAC-SHA256 under `secret` of
// "<timestamp>.<body>".
std::vector<std::pair<std::string, std::string>> notification_headers(std::string_view body,
                                                                      std::string_view secret,
                                                                      std::string_view delivery,
                                                                      std::int64_t unix_seconds);

// "sha256=<hex>": the signature notification_headers() sends.
std::string notification_signature(std::string_view body, std::string_view secret,
                                   std::int64_t unix_seconds);

}  // namespace harness::agent
