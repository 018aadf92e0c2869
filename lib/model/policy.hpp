#pragma once
// Tool-call policies (SPEC §8, docs/api.md "Human gates, policies and identity"): rules that
// decide each tool call allow / ask / deny by tool name and a glob over its main argument, how
// submit-time flags narrow a policy, and the principals ("user:NAME", "group:NAME") that roles
// and approver lists name. Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/base/result.hpp"
#include "lib/model/conversation.hpp"

namespace harness::model {

// What happens to a tool call. Strictness: deny > ask > allow.
enum class Verdict { allow, ask, deny };

// "allow" | "ask" | "deny".
std::string_view to_string(Verdict v);
// Inverse of to_string; invalid naming the text otherwise.
Result<Verdict> parse_verdict(std::string_view s);
// The stricter of two verdicts.
Verdict stricter(Verdict a, Verdict b);

// One rule: a tool (or "*" for any tool) and a glob over the call's main argument.
struct Rule {
  std::string tool;
  std::string glob = "*";
  std::string text;  // as written: "bash:git push*", "read_file"
};

// The tool names a rule may name (besides "*"): the six sandbox tools and request_approval.
const std::vector<std::string_view>& rule_tools();
// Parses "TOOL" or "TOOL:GLOB" (split at the first ':'). invalid naming the rule when it is
// empty, names an unknown tool, or has an empty glob after ':'.
Result<Rule> parse_rule(std::string_view text);

struct Policy {
  std::string name;
  std::vector<Rule> allow, ask, deny;
  Verdict fallback = Verdict::allow;   // when no rule matches; JSON key "default"
  std::vector<std::string> approvers;  // "user:NAME" / "group:NAME"; empty = any approver
  bool four_eyes = false;              // the submitter may not decide their own leaf's gates
  std::int64_t gate_timeout_ms = 0;    // 0 = gates never expire; JSON "gate_timeout_s"
  // [notify.NAME]s told when a gate opens. Config only, not in the JSON: a gate looks the names
  // up in the config in force when it opens (docs/notifications.md).
  std::vector<std::string> notify;
};

// The outcome for one call and the rule that decided it (null = the policy's fallback). The
// pointer points into the Policy passed to decide(): valid while that Policy lives unchanged.
struct Decision {
  Verdict verdict = Verdict::allow;
  const Rule* rule = nullptr;
};

// What a rule's glob is matched against: the command for bash; for read_file, write_file,
// edit_file, list_files and grep the path (default "." where optional), lexically normalised
// ("./a//b/../c" -> "a/c", so a rule cannot be dodged by spelling); "" for other tools and when
// the field is missing or not a string.
std::string main_argument(const ToolCall& call);

// Whether `text` matches `glob`: fnmatch-style `*`, `?`, `[...]`, `\` escapes, where `*` also
// matches '/' and spaces and a leading '.'.
bool glob_matches(std::string_view glob, std::string_view text);

// The strictest verdict among the rules matching `call` (tool equal or "*", glob over
// main_argument); the first matching rule of that list is reported. No match: the fallback.
Decision decide(const Policy& p, const ToolCall& call);

// Rules given at submit or resume (--allow, --ask, --deny).
struct Narrowing {
  std::vector<std::string> allow, ask, deny;
};

// Applies `n` to `base` and never widens: for every call decide(result) is at least as strict
// as decide(base). deny rules are appended; ask rules too. Non-empty allow rules mean "only
// these run freely": base's allow rules are dropped and the fallback becomes at least ask. An
// ask/allow rule that could loosen a call base denies (or asks) by its fallback is replaced by
// the base allow rules it covers (see is_at_least_as_strict); so e.g. --ask on a deny-by-default
// policy gates only what base allowed. invalid naming a malformed rule.
Result<Policy> narrow(const Policy& base, const Narrowing& n);

// True when `candidate` is provably at least as strict as `base` (a resume naming a policy).
// Structural and conservative — it may say false for an equivalent policy, never true for a
// looser one: base's deny rules are deny in candidate, base's ask rules ask or deny; each
// candidate ask/allow rule is harmless (base's fallback is no stricter than the rule's list, or
// a base rule covers it: same tool or "*", and glob "*", the same glob, or "LITERAL*" over a
// glob starting with LITERAL; or one of candidate's stricter rules covers it); fallback not looser;
// four_eyes kept; approvers a subset (any list narrows an empty one); gate timeout not longer (0 =
// infinite). Names are not compared.
bool is_at_least_as_strict(const Policy& candidate, const Policy& base);

// {"name","allow":[texts],"ask":[],"deny":[],"default":"allow","approvers":[],
//  "four_eyes":false,"gate_timeout_s":null|seconds}.
nlohmann::json to_json(const Policy& p);
// Inverse of to_json; missing fields take their defaults. invalid on a wrong type, a bad rule
// or principal, or a negative timeout.
Result<Policy> policy_from_json(const nlohmann::json& j);

// Who is calling: a Unix user (from SO_PEERCRED) or a bearer token's name.
struct Principal {
  std::string name;                 // user name, or the token's name
  std::optional<unsigned> uid;      // unix socket callers only
  std::vector<std::string> groups;  // group names, primary and supplementary
  std::string transport;            // "unix" | "tcp"
  std::string remote;               // peer address for tcp; "" for unix
};

// Checks one grant "user:NAME" or "group:NAME" (NAME: letters, digits, '.', '_', '-', '@',
// '$'). invalid naming it otherwise.
Status check_principal(std::string_view grant);
// True when any grant names `who`: "user:NAME" equal to who.name, or "group:G" with G among
// who.groups. Malformed grants match nothing.
bool principal_matches(const Principal& who, const std::vector<std::string>& grants);

}  // namespace harness::model
