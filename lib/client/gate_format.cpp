#include "lib/client/gate_format.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

#include "lib/client/json_fields.hpp"

namespace harness::client {
namespace {
using jf::flag;
using jf::num;
using jf::obj;
using jf::str;

constexpr size_t k_preview_lines = 12;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// `text` line by line under `indent`, at most `max` lines (then "…").
std::string indented(const std::string& text, const std::string& indent, size_t max,
                     const Style& st) {
  std::string out;
  auto lines = lines_of(text);
  for (size_t i = 0; i < lines.size() && i < max; ++i) out += indent + st.dim(lines[i]) + "\n";
  if (lines.size() > max) out += indent + st.dim("…") + "\n";
  return out;
}

// A JSON value as text: strings as they are, anything else as compact JSON.
std::string text_of(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : dump_json(j[key]);
}

std::string diff_stats(const std::string& diff) {
  int added = 0, removed = 0;
  for (const auto& l : lines_of(diff)) {
    if (l.rfind("+++", 0) == 0 || l.rfind("---", 0) == 0) continue;
    if (!l.empty() && l[0] == '+') ++added;
    if (!l.empty() && l[0] == '-') ++removed;
  }
  return "+" + std::to_string(added) + " -" + std::to_string(removed) + " lines";
}

// Characters on screen, not bytes: UTF-8 continuation bytes take no column.
size_t display_width(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char ch) { return (static_cast<unsigned char>(ch) & 0xC0) != 0x80; }));
}

// Rows aligned in columns two spaces apart (the last column unpadded), the header bold.
std::vector<std::string> align(const std::vector<std::vector<std::string>>& rows, const Style& st) {
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i + 1 < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  std::vector<std::string> out;
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t i = 0; i < rows[n].size(); ++i) {
      line += n == 0 ? st.bold(rows[n][i]) : rows[n][i];
      if (i + 1 < rows[n].size())
        line += std::string(width[i] - display_width(rows[n][i]) + 2, ' ');
    }
    out.push_back(line);
  }
  return out;
}

std::string approve_hint(const std::string& leaf_id, std::int64_t gate) {
  return "harnessctl approve " + (leaf_id.empty() ? std::string("ID") : leaf_id) + " --gate " +
         std::to_string(gate);
}

std::string rule_note(const Json& gate) {
  std::string rule = str(gate, "rule");
  return rule.empty() ? "" : " (rule " + rule + ")";
}

bool is_request(const Json& gate) {
  return str(gate, "kind") == "request_approval" || str(gate, "tool") == "request_approval";
}

// The head of a gate_opened line: what needs a verdict.
std::string opened_head(const Json& d) {
  std::string command = str(d, "command");
  if (is_request(d)) return "the agent asks for approval: " + first_line(str(d, "summary"), 160);
  if (!command.empty()) return "approval needed for `" + first_line(command, 120) + "`";
  std::string tool = str(d, "tool", "tool");
  std::string path = str(obj(d, "input"), "path");
  if (!path.empty()) return "approval needed for " + tool + " " + path;
  return "approval needed for " + tool + " " + first_line(dump_json(obj(d, "input")), 100);
}

// Lines under a gate_opened line: the rest of a multi-line command, the diff, or the proposal.
std::string opened_body(const Json& d, const Style& st) {
  std::string command = str(d, "command"), diff = str(d, "diff");
  std::string proposed = text_of(d, "proposed_action");
  std::string out;
  if (is_request(d) && !proposed.empty())
    out += "    proposed: " + first_line(proposed, 160) + "\n";
  else if (command.find('\n') != std::string::npos)
    out += indented(command, "    ", k_preview_lines, st);
  else if (!diff.empty())
    out += indented(diff, "    ", k_preview_lines, st);
  std::string expires = str(d, "expires_at");
  if (!expires.empty()) out += "    " + st.dim("expires " + expires) + "\n";
  return out;
}
}  // namespace

std::string gate_what(const Json& gate, size_t max) {
  std::string command = str(gate, "command"), diff = str(gate, "diff");
  if (is_request(gate)) return first_line(str(gate, "summary", "-"), max);
  if (!command.empty()) return first_line(command, max);
  std::string path = str(obj(gate, "input"), "path");
  // Not a diff but the daemon's note why there is none ("x is a symlink to …; not followed").
  if (!diff.empty() && !diff.starts_with("--- ")) return first_line(diff, max);
  if (!diff.empty()) return first_line(path + " (" + diff_stats(diff) + ")", max);
  return first_line(str(gate, "tool", "-") + " " + dump_json(obj(gate, "input")), max);
}

std::string gate_details(const Json& gate, const std::string& indent) {
  const Style plain;
  const size_t all = static_cast<size_t>(-1);
  std::string out;
  if (is_request(gate)) {
    out += indented("summary: " + str(gate, "summary"), indent, all, plain);
    std::string proposed = text_of(gate, "proposed_action");
    if (!proposed.empty()) out += indented("proposed: " + proposed, indent, all, plain);
  } else if (!str(gate, "command").empty()) {
    out += indented(str(gate, "command"), indent, all, plain);
  } else if (!str(gate, "diff").empty()) {
    out += indented(str(gate, "diff"), indent, all, plain);
  } else {
    out += indent + dump_json(obj(gate, "input")) + "\n";
  }
  std::string meta;
  if (!str(gate, "rule").empty()) meta += "rule " + str(gate, "rule");
  if (!str(gate, "expires_at").empty())
    meta += (meta.empty() ? "" : " · ") + std::string("expires ") + str(gate, "expires_at");
  if (!meta.empty()) out += indent + "(" + meta + ")\n";
  return out;
}

std::string format_who(const Json& who) {
  std::string name = str(who, "name");
  if (name.empty() && who.is_object() && who.contains("uid") && who["uid"].is_number())
    name = "uid " + std::to_string(num(who, "uid"));
  if (name.empty()) return "-";
  std::string transport = str(who, "transport"), remote = str(who, "remote");
  if (transport.empty() || transport == "unix") return name;
  return name + " (" + transport + (remote.empty() ? "" : " " + remote) + ")";
}

std::string format_approvals(const Json& approvals, bool wide, TimeMs now, const Style& st) {
  std::vector<std::vector<std::string>> rows = {
      {"LEAF", "GATE", "TOOL", "WHAT", "SUBMITTED BY", "SINCE"}};
  std::vector<std::string> details;  // under each row with `wide`
  if (!approvals.is_array() || approvals.empty()) return "";
  for (const auto& g : approvals) {
    rows.push_back({str(g, "leaf", "-"), std::to_string(num(g, "gate")), str(g, "tool", "-"),
                    gate_what(g, 60), format_who(obj(g, "submitted_by")),
                    format_age(str(g, "opened_at"), now)});
    details.push_back(wide ? gate_details(g, "    ") : "");
  }
  auto lines = align(rows, st);
  std::string out = lines[0] + "\n";
  for (size_t i = 1; i < lines.size(); ++i) out += lines[i] + "\n" + details[i - 1];
  return out;
}

std::string format_gate_opened(const Json& event, const Style& st) {
  const Json& d = obj(event, "data");
  std::int64_t gate = num(d, "gate");
  std::string head = st.yellow("⏸ gate " + std::to_string(gate) + ":");
  return head + " " + opened_head(d) + rule_note(d) + " — " +
         approve_hint(str(event, "leaf"), gate) + "\n" + opened_body(d, st);
}

std::string format_gate_decided(const Json& d, const Style& st) {
  std::string gate = "gate " + std::to_string(num(d, "gate"));
  const Json& by = obj(d, "by");
  std::string line;
  if (str(d, "verdict") == "approved")
    line = st.green("✔ " + gate + " approved") + " by " + format_who(by);
  else if (str(by, "name") == "gate_timeout")
    line = st.red("✘ " + gate + " expired") + " (gate_timeout)";
  else
    line = st.red("✘ " + gate + " rejected") + " by " + format_who(by);
  if (flag(d, "stop")) line += " (leaf stopped)";
  std::string message = str(d, "message");
  if (!message.empty()) line += ": " + first_line(message, 200);
  return line + "\n";
}

std::string format_gate_status(const Json& gate, const std::string& leaf_id) {
  if (!gate.is_object()) return "-";
  std::int64_t n = num(gate, "gate");
  std::string what = str(gate, "command").empty() || is_request(gate)
                         ? str(gate, "tool", "-") + " " + gate_what(gate, 100)
                         : str(gate, "tool", "bash") + " `" + gate_what(gate, 100) + "`";
  std::string opened = str(gate, "opened_at");
  return std::to_string(n) + " · " + what + rule_note(gate) +
         (opened.empty() ? "" : " · opened " + opened) + " — " + approve_hint(leaf_id, n);
}

}  // namespace harness::client
