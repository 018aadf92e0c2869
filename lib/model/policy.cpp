#include "lib/model/policy.hpp"

#include <fnmatch.h>

#include <algorithm>

namespace harness::model {
namespace {

int rank(Verdict v) {
  return static_cast<int>(v);
}

bool is_file_tool(std::string_view tool) {
  return tool == "read_file" || tool == "write_file" || tool == "edit_file" ||
         tool == "list_files" || tool == "grep";
}

// Lexical normalisation so "./.git//config" and "src/../.git/config" meet a rule written for
// ".git/*". Leading ".." are kept (the tools refuse paths leaving the workspace anyway).
std::string normalize_path(std::string_view path) {
  bool absolute = path.starts_with('/');
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? "" : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..")
      parts.pop_back();
    else if (part != ".." || !absolute)
      parts.push_back(part);
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + std::string(parts[i]);
  return out.empty() ? "." : out;
}

bool rule_matches(const Rule& r, const ToolCall& call, const std::string& argument) {
  return (r.tool == "*" || r.tool == call.name) && glob_matches(r.glob, argument);
}

const Rule* first_match(const std::vector<Rule>& rules, const ToolCall& call,
                        const std::string& argument) {
  for (const Rule& r : rules)
    if (rule_matches(r, call, argument)) return &r;
  return nullptr;
}

bool has_glob_meta(std::string_view s) {
  return s.find_first_of("*?[\\") != std::string_view::npos;
}

// Sound but incomplete: true only when every (tool, argument) `inner` matches, `outer` matches
// too. Handles outer globs "*", identical globs, and "LITERAL*" over a glob starting with it.
bool covers(const Rule& outer, const Rule& inner) {
  if (outer.tool != "*" && outer.tool != inner.tool) return false;
  if (outer.glob == "*" || outer.glob == inner.glob) return true;
  std::string_view prefix = outer.glob;
  if (!prefix.ends_with('*')) return false;
  prefix.remove_suffix(1);
  return !has_glob_meta(prefix) && std::string_view(inner.glob).starts_with(prefix);
}

bool covered_by_any(const std::vector<Rule>& outers, const Rule& inner) {
  return std::any_of(outers.begin(), outers.end(), [&](const Rule& o) { return covers(o, inner); });
}

bool same_rule(const Rule& a, const Rule& b) {
  return a.tool == b.tool && a.glob == b.glob;
}

bool contains_rule(const std::vector<Rule>& rules, const Rule& r) {
  return std::any_of(rules.begin(), rules.end(), [&](const Rule& x) { return same_rule(x, r); });
}

Result<std::vector<Rule>> parse_rules(const std::vector<std::string>& texts) {
  std::vector<Rule> out;
  for (const std::string& t : texts) {
    HARNESS_TRY_ASSIGN(Rule r, parse_rule(t));
    out.push_back(std::move(r));
  }
  return out;
}

// Whether adding `r` to the `v` list of a policy that keeps all of base's ask and deny rules
// can loosen no call. A call `r` matches gets at least `v`; base gave it its fallback, or, when
// a base rule covering `r` matches, that rule's verdict or stricter (ask/deny rules are kept,
// and a covering allow rule says base allowed it).
bool harmless(const Policy& base, const Rule& r, Verdict v) {
  return rank(base.fallback) <= rank(v) || covered_by_any(base.allow, r) ||
         covered_by_any(base.ask, r) || covered_by_any(base.deny, r);
}

// Adds `r` to `to` when harmless; otherwise the part of it we can express safely: base's allow
// rules that `r` covers (their calls base allowed, so giving them `v` cannot loosen them).
void add_narrowing_rule(const Policy& base, const Rule& r, Verdict v, std::vector<Rule>& to) {
  if (harmless(base, r, v)) {
    if (!contains_rule(to, r)) to.push_back(r);
    return;
  }
  for (const Rule& b : base.allow)
    if (covers(r, b) && !contains_rule(to, b)) to.push_back(b);
}

}  // namespace

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::allow:
      return "allow";
    case Verdict::ask:
      return "ask";
    case Verdict::deny:
      return "deny";
  }
  return "deny";
}

Result<Verdict> parse_verdict(std::string_view s) {
  for (Verdict v : {Verdict::allow, Verdict::ask, Verdict::deny})
    if (to_string(v) == s) return v;
  return make_error(ErrorCode::invalid,
                    "unknown verdict \"" + std::string(s) + "\" (allow, ask or deny)");
}

Verdict stricter(Verdict a, Verdict b) {
  return rank(a) >= rank(b) ? a : b;
}

const std::vector<std::string_view>& rule_tools() {
  static const std::vector<std::string_view> tools = {
      "bash", "read_file", "write_file", "edit_file", "list_files", "grep", "request_approval"};
  return tools;
}

Result<Rule> parse_rule(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::invalid, "rule \"" + std::string(text) + "\": " + why);
  };
  if (text.empty()) return make_error(ErrorCode::invalid, "empty rule (use TOOL or TOOL:GLOB)");
  auto colon = text.find(':');
  Rule r{std::string(text.substr(0, colon)), "*", std::string(text)};
  if (colon != std::string_view::npos) {
    r.glob = std::string(text.substr(colon + 1));
    if (r.glob.empty()) return bad("empty glob after ':' (use TOOL or TOOL:GLOB)");
  }
  const auto& tools = rule_tools();
  if (r.tool != "*" && std::find(tools.begin(), tools.end(), r.tool) == tools.end()) {
    std::string names;
    for (std::string_view t : tools) names += std::string(t) + ", ";
    return bad("unknown tool \"" + r.tool + "\" (" + names + "or * for any tool)");
  }
  return r;
}

std::string main_argument(const ToolCall& call) {
  auto field = [&](const char* key) -> const Json* {
    auto it = call.input.is_object() ? call.input.find(key) : call.input.end();
    return it != call.input.end() && it->is_string() ? &*it : nullptr;
  };
  if (call.name == "bash") {
    const Json* cmd = field("command");
    return cmd ? cmd->get<std::string>() : std::string();
  }
  if (!is_file_tool(call.name)) return "";
  const Json* path = field("path");
  bool optional = call.name == "list_files" || call.name == "grep";
  if (!path) return optional && !call.input.contains("path") ? "." : "";
  return normalize_path(path->get_ref<const std::string&>());
}

bool glob_matches(std::string_view glob, std::string_view text) {
  // fnmatch without FNM_PATHNAME/FNM_PERIOD: '*' crosses '/' and matches leading dots. A NUL in
  // the text (JSON allows \u0000) would hide what follows it from fnmatch: match it as a space.
  std::string subject(text);
  std::replace(subject.begin(), subject.end(), '\0', ' ');
  return fnmatch(std::string(glob).c_str(), subject.c_str(), 0) == 0;
}

Decision decide(const Policy& p, const ToolCall& call) {
  std::string argument = main_argument(call);
  if (const Rule* r = first_match(p.deny, call, argument)) return {Verdict::deny, r};
  if (const Rule* r = first_match(p.ask, call, argument)) return {Verdict::ask, r};
  if (const Rule* r = first_match(p.allow, call, argument)) return {Verdict::allow, r};
  return {p.fallback, nullptr};
}

Result<Policy> narrow(const Policy& base, const Narrowing& n) {
  HARNESS_TRY_ASSIGN(auto allow, parse_rules(n.allow));
  HARNESS_TRY_ASSIGN(auto ask, parse_rules(n.ask));
  HARNESS_TRY_ASSIGN(auto deny, parse_rules(n.deny));
  Policy out = base;
  for (Rule& r : deny)
    if (!contains_rule(out.deny, r)) out.deny.push_back(std::move(r));
  for (const Rule& r : ask) add_narrowing_rule(base, r, Verdict::ask, out.ask);
  if (allow.empty()) return out;
  out.allow.clear();
  for (const Rule& r : allow) add_narrowing_rule(base, r, Verdict::allow, out.allow);
  out.fallback = stricter(base.fallback, Verdict::ask);
  return out;
}

bool is_at_least_as_strict(const Policy& candidate, const Policy& base) {
  for (const Rule& r : base.deny)
    if (!contains_rule(candidate.deny, r)) return false;
  for (const Rule& r : base.ask)
    if (!contains_rule(candidate.ask, r) && !contains_rule(candidate.deny, r)) return false;
  // A candidate rule inside one of its own stricter rules never decides a call: that one wins.
  for (const Rule& r : candidate.ask)
    if (!harmless(base, r, Verdict::ask) && !covered_by_any(candidate.deny, r)) return false;
  for (const Rule& r : candidate.allow)
    if (!harmless(base, r, Verdict::allow) && !covered_by_any(candidate.ask, r) &&
        !covered_by_any(candidate.deny, r))
      return false;
  if (rank(candidate.fallback) < rank(base.fallback)) return false;
  if (base.four_eyes && !candidate.four_eyes) return false;
  if (!base.approvers.empty()) {
    if (candidate.approvers.empty()) return false;
    for (const std::string& a : candidate.approvers)
      if (std::find(base.approvers.begin(), base.approvers.end(), a) == base.approvers.end())
        return false;
  }
  if (base.gate_timeout_ms == 0) return true;
  return candidate.gate_timeout_ms != 0 && candidate.gate_timeout_ms <= base.gate_timeout_ms;
}

Status check_principal(std::string_view grant) {
  std::string_view name;
  if (grant.starts_with("user:"))
    name = grant.substr(5);
  else if (grant.starts_with("group:"))
    name = grant.substr(6);
  else
    return make_error(ErrorCode::invalid,
                      "principal \"" + std::string(grant) + "\": expected user:NAME or group:NAME");
  bool ok = !name.empty() && name.find_first_not_of(
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz"
                                 "0123456789._-@$") == std::string_view::npos;
  if (!ok)
    return make_error(ErrorCode::invalid,
                      "principal \"" + std::string(grant) +
                          "\": the name may use letters, digits, '.', '_', '-', '@' and '$'");
  return {};
}

bool principal_matches(const Principal& who, const std::vector<std::string>& grants) {
  for (const std::string& g : grants) {
    if (!check_principal(g)) continue;
    if (g.starts_with("user:") && !who.name.empty() && g.substr(5) == who.name) return true;
    if (g.starts_with("group:") &&
        std::find(who.groups.begin(), who.groups.end(), g.substr(6)) != who.groups.end())
      return true;
  }
  return false;
}

}  // namespace harness::model
