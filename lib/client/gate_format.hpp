#pragma once
// Human-readable rendering of gates (docs/api.md, "Human gates"): the `approvals` table, the
// live-view lines for gate_opened / gate_decided / denied calls, and the gate line of `status`.
// Pure functions over the API's JSON; missing fields render as "-", never throw.

#include <string>

#include "lib/base/time.hpp"
#include "lib/client/format.hpp"

namespace harness::client {

// What a gate would run, on one line of at most `max` characters: the exact command for bash,
// "PATH (+A -R lines)" for a diff, the summary for request_approval, else TOOL and its input.
std::string gate_what(const Json& gate, size_t max);
// The full text of what a gate would run (the whole command, diff, or summary and proposed
// action), each line indented by `indent`; used under a row by `approvals -o wide`.
std::string gate_details(const Json& gate, const std::string& indent);
// `approvals`: LEAF, GATE, TOOL, WHAT, SUBMITTED BY, SINCE, oldest first as the API sends them;
// `wide` adds the full command/diff under each row. `now` computes SINCE.
std::string format_approvals(const Json& approvals, bool wide, TimeMs now, const Style& st);
// "⏸ gate 1: approval needed for `git push` (rule bash:git push*) — harnessctl approve ID
// --gate 1", plus a diff preview or the proposed action. `event` is the whole event object.
std::string format_gate_opened(const Json& event, const Style& st);
// "✔ gate 1 approved by alice: ship it" / "✘ gate 1 rejected by bob (leaf stopped): no".
std::string format_gate_decided(const Json& data, const Style& st);
// The leaf's open gate for `status`: "1 · bash `git push` (rule …) · opened TIME —
// harnessctl approve ID --gate 1"; "-" when `gate` is not an object.
std::string format_gate_status(const Json& gate, const std::string& leaf_id);
// Who decided or submitted: "alice", "ci (tcp 10.0.0.5)"; "-" when unknown.
std::string format_who(const Json& who);

}  // namespace harness::client
