#include "lib/client/format.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <vector>

#include "lib/client/gate_format.hpp"
#include "lib/client/json_fields.hpp"

namespace harness::client {
namespace {
using jf::flag;
using jf::num;
using jf::obj;
using jf::str;

std::string tokens(const Json& usage) {
  return group_thousands(num(usage, "input_tokens")) + " in / " +
         group_thousands(num(usage, "output_tokens")) + " out tokens";
}

// "0.0123 USD", or "" when nothing was priced.
std::string cost(const Json& usage) {
  auto it = usage.is_object() ? usage.find("cost_usd") : usage.end();
  if (!usage.is_object() || it == usage.end() || !it->is_number() || it->get<double>() <= 0)
    return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6g USD", it->get<double>());
  return buf;
}

std::string ms_text(std::int64_t ms) {
  return ms < 1000 ? std::to_string(ms) + "ms" : format_duration_ms(ms);
}

// The first `n` lines of a tool's output, indented and dimmed under its result line.
// The first and last lines of a tool's real output, without bash's framing ("exit code N" —
// already on the result line —, "--- stdout ---", "--- stderr ---"): `n` lines from each end, and
// how many were left out between them.
std::string output_preview(const std::string& out, size_t n, const Style& st) {
  std::vector<std::string> real;
  std::istringstream in(out);
  std::string line;
  for (bool first = true; std::getline(in, line); first = false) {
    if (line == "--- stdout ---" || line == "--- stderr ---") continue;
    if (first && line.rfind("exit code ", 0) == 0) continue;
    real.push_back(line);
  }
  auto show = [&](const std::string& l) { return "    " + st.dim(first_line(l, 120)) + "\n"; };
  std::string lines;
  if (real.size() <= 2 * n + 1) {
    for (const auto& l : real) lines += show(l);
    return lines;
  }
  for (size_t i = 0; i < n; ++i) lines += show(real[i]);
  lines += "    " + st.dim("… " + std::to_string(real.size() - 2 * n) + " more lines") + "\n";
  for (size_t i = real.size() - n; i < real.size(); ++i) lines += show(real[i]);
  return lines;
}

std::string tool_call_line(const Json& d, const Style& st) {
  std::string name = str(d, "name", "tool");
  const Json& in = obj(d, "input");
  if (name == "bash") return st.bold("$ " + first_line(str(in, "command"), 100)) + "\n";
  if (name == "read_file" || name == "list_files" || name == "edit_file")
    return name + " " + str(in, "path", ".") + "\n";
  if (name == "write_file")
    return name + " " + str(in, "path") + " (" +
           group_thousands(static_cast<std::int64_t>(str(in, "content").size())) + " bytes)\n";
  if (name == "grep")
    return "grep " + first_line(str(in, "pattern"), 60) + " " + str(in, "path", ".") + "\n";
  if (name == "request_approval")
    return "request_approval: " + first_line(str(in, "summary"), 100) + "\n";
  return name + " " + first_line(dump_json(in), 100) + "\n";
}

std::string tool_result_line(const Json& d, const Style& st) {
  std::string took = "(" + ms_text(num(d, "duration_ms")) + ")";
  std::string out = str(d, "output");
  if (flag(d, "interrupted")) return st.yellow("→ interrupted") + " " + took + "\n";
  if (flag(d, "denied")) {
    std::string rule = str(d, "rule");
    return st.red("→ denied by policy") + (rule.empty() ? "" : " (rule " + rule + ")") + "\n";
  }
  auto code = d.find("exit_code");
  bool has_code = code != d.end() && code->is_number();
  bool error = flag(d, "is_error") || (has_code && num(d, "exit_code") != 0);
  std::string head =
      has_code ? "→ exit " + std::to_string(num(d, "exit_code")) : (error ? "→ error" : "→ ok");
  return (error ? st.red(head) : st.green(head)) + " " + took + "\n" + output_preview(out, 2, st);
}

std::string model_line(const Json& d, const Style& st) {
  std::string line = "turn " + std::to_string(num(d, "turn")) + " · model " +
                     ms_text(num(d, "latency_ms")) + " · " + tokens(obj(d, "usage"));
  std::string lines = st.dim(line) + "\n";
  const Json& msg = obj(d, "message");
  bool calls =
      msg.contains("tool_calls") && msg["tool_calls"].is_array() && !msg["tool_calls"].empty();
  std::string text = str(msg, "text");
  // The final answer is printed once at the end; narration between tool calls shows here.
  if (calls && !text.empty()) lines += first_line(text, 160) + "\n";
  return lines;
}

std::string model_error_line(const Json& d, const Style& st) {
  std::int64_t status = num(d, "status");
  std::string line = "model error" +
                     (status ? " (HTTP " + std::to_string(status) + ")" : std::string()) + ": " +
                     first_line(str(d, "message"), 120);
  auto retry = d.find("retry_in_ms");
  if (retry != d.end() && retry->is_number())
    line += " — retry " + std::to_string(num(d, "attempt") + 1) + " in " +
            ms_text(num(d, "retry_in_ms"));
  else
    line += " — giving up";
  return st.yellow(line) + "\n";
}
// notification_sent / notification_failed (docs/notifications.md).
std::string notification_line(const std::string& type, const Json& d, const Style& st) {
  std::int64_t attempts = num(d, "attempts");
  std::string who = "notify." + str(d, "notifier", "?") + " (" + str(d, "channel", "url") + ")";
  std::string tries = std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
  std::string gate = "gate " + std::to_string(num(d, "gate"));
  if (type == "notification_sent") {
    std::string status = d.contains("status") && d["status"].is_number()
                             ? (str(d, "channel") == "command" ? " · exit " : " · HTTP ") +
                                   std::to_string(num(d, "status"))
                             : "";
    return st.dim("notified " + who + " of " + gate + status + " · " + tries) + "\n";
  }
  return st.yellow(who + " could not be told of " + gate + " after " + tries + ": " +
                   first_line(str(d, "error"), 160)) +
         "\n";
}
}  // namespace

std::string group_thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string first_line(const std::string& s, size_t max) {
  std::string line = s.substr(0, s.find('\n'));
  bool cut =
      line.size() < s.size() && s.find_first_not_of(" \t\r\n", line.size()) != std::string::npos;
  if (line.size() > max) {
    line.resize(max);
    // Do not split a UTF-8 sequence.
    while (!line.empty() && (static_cast<unsigned char>(line.back()) & 0xC0) == 0x80)
      line.pop_back();
    if (!line.empty() && (static_cast<unsigned char>(line.back()) & 0x80)) line.pop_back();
    cut = true;
  }
  return cut ? line + "…" : line;
}

std::string styled_state(const std::string& state, const Style& st) {
  if (state == "succeeded") return st.green(state);
  if (state == "failed" || state == "rejected") return st.red(state);
  if (state == "cancelled" || state == "awaiting_approval") return st.yellow(state);
  return state;
}

std::string format_event(const Json& e, const Style& st) {
  std::string type = str(e, "type");
  const Json& d = obj(e, "data");
  if (type == "leaf_submitted")
    return st.dim("submitted · model " + str(d, "model", "default") + " · sandbox " +
                  str(d, "sandbox", "default")) +
           "\n";
  if (type == "leaf_started") return st.dim("started") + "\n";
  if (type == "leaf_recovered") return st.yellow("recovered after a daemon restart") + "\n";
  if (type == "model_response") return model_line(d, st);
  if (type == "model_error") return model_error_line(d, st);
  if (type == "tool_started") return tool_call_line(d, st);
  if (type == "tool_finished") return tool_result_line(d, st);
  if (type == "gate_opened") return format_gate_opened(e, st);
  if (type == "gate_decided") return format_gate_decided(d, st);
  if (type == "notification_sent" || type == "notification_failed")
    return notification_line(type, d, st);
  if (type == "leaf_finished") {
    std::string line = styled_state(str(d, "state"), st) + " (" + str(d, "reason", "-") + ")";
    std::string msg = str(d, "message");
    return line + (msg.empty() ? "" : ": " + first_line(msg, 200)) + "\n";
  }
  // workspace_changes: `run` and `logs` show it last, after the answer (changes_format.hpp).
  if (type == "heartbeat" || type == "model_request" || type == "end" ||
      type == "workspace_changes" || type.empty())
    return "";
  return st.dim(type) + "\n";  // a newer event type: name it, never fail on it
}

std::string format_summary(const Json& leaf, const Style& st) {
  std::string s = styled_state(str(leaf, "state", "-"), st) + " (" + str(leaf, "reason", "-") + ")";
  std::int64_t turns = num(leaf, "turns");
  s += " · " + std::to_string(turns) + (turns == 1 ? " turn" : " turns");
  s += " · " + tokens(obj(leaf, "usage"));
  if (std::string c = cost(obj(leaf, "usage")); !c.empty()) s += " · " + c;
  auto start = parse_rfc3339(str(leaf, "started_at", str(leaf, "created_at")));
  auto end = parse_rfc3339(str(leaf, "finished_at"));
  if (start && end) s += " · " + ms_text(*end - *start);
  return s;
}

std::string format_status(const Json& leaf, const Style& st) {
  std::string labels;
  for (const auto& [k, v] : obj(leaf, "labels").items())
    labels += (labels.empty() ? "" : ",") + k + "=" +
              (v.is_string() ? v.get<std::string>() : dump_json(v));
  std::string result = str(leaf, "result");
  std::vector<std::pair<std::string, std::string>> rows = {
      {"id", str(leaf, "id", "-")},
      {"session", str(leaf, "session", "-")},
      {"state", styled_state(str(leaf, "state", "-"), st)},
      {"reason", str(leaf, "reason", "-")},
      {"message", first_line(str(leaf, "message", "-"), 200)},
      {"model", str(leaf, "model", "-")},
      {"sandbox", str(leaf, "sandbox", "-")},
      {"policy", str(obj(leaf, "policy"), "name", "-")},
      {"submitter", format_who(obj(leaf, "submitted_by"))},
      {"workdir", str(leaf, "workdir", "-")},
      {"workspace", str(leaf, "workspace", "-")},
      {"envelope", str(leaf, "envelope", "-")},
      {"labels", labels.empty() ? "-" : labels},
      {"turns", std::to_string(num(leaf, "turns"))},
      {"tokens", tokens(obj(leaf, "usage"))},
      {"cost", cost(obj(leaf, "usage")).empty() ? "-" : cost(obj(leaf, "usage"))},
      {"created", str(leaf, "created_at", "-")},
      {"started", str(leaf, "started_at", "-")},
      {"finished", str(leaf, "finished_at", "-")},
      {"prompt", first_line(str(leaf, "prompt"), 200)},
      {"result", result.empty() ? "-" : first_line(result, 200)},
  };
  // The open gate goes right under the state, and only while there is one.
  if (leaf.is_object() && leaf.contains("gate") && leaf["gate"].is_object())
    rows.insert(rows.begin() + 3, {"gate", format_gate_status(leaf["gate"], str(leaf, "id"))});
  std::string out;
  for (const auto& [k, v] : rows) out += k + ":" + std::string(10 - k.size(), ' ') + v + "\n";
  return out;
}

std::string format_age(const std::string& rfc3339, TimeMs now) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) return "-";
  std::int64_t s = std::max<std::int64_t>(0, (now - *t) / 1000);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string format_table(const Json& leaves, bool wide, TimeMs now, const Style& st) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"ID", "STATE", "AGE", "MODEL", "TURNS"};
  if (wide) header.insert(header.end(), {"SESSION", "REASON", "LABELS"});
  header.push_back("PROMPT");
  rows.push_back(header);
  for (const auto& l : leaves.is_array() ? leaves : Json::array()) {
    std::vector<std::string> r = {str(l, "id", "-"), str(l, "state", "-"),
                                  format_age(str(l, "created_at"), now), str(l, "model", "-"),
                                  std::to_string(num(l, "turns"))};
    if (wide) {
      std::string labels;
      for (const auto& [k, v] : obj(l, "labels").items())
        labels += (labels.empty() ? "" : ",") + k + "=" +
                  (v.is_string() ? v.get<std::string>() : dump_json(v));
      r.insert(r.end(),
               {str(l, "session", "-"), str(l, "reason", "-"), labels.empty() ? "-" : labels});
    }
    r.push_back(first_line(str(l, "prompt"), 50));
    rows.push_back(std::move(r));
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i + 1 < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::string out;
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t i = 0; i < rows[n].size(); ++i) {
      const std::string& cell = rows[n][i];
      std::string shown = n == 0 ? st.bold(cell) : (i == 1 ? styled_state(cell, st) : cell);
      line += shown;
      if (i + 1 < rows[n].size()) line += std::string(width[i] - cell.size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace harness::client
