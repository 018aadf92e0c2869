#include "lib/client/submit_request.hpp"

#include <filesystem>
#include <iterator>

#include "lib/base/base64.hpp"
#include "lib/base/fs.hpp"
#include "lib/base/time.hpp"
#include "lib/base/utf8.hpp"

namespace harness::client {
namespace {
Error usage(std::string message) {
  return make_error(ErrorCode::bad_request, std::move(message));
}

std::string read_all(std::istream& in) {
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<std::string> resolve_prompt(const SubmitOptions& o, std::istream& in,
                                   std::vector<std::string>& notes) {
  if (!o.prompt.empty() && !o.prompt_file.empty())
    return usage("give the prompt either as an argument or with -f FILE, not both");
  std::string prompt, source;
  if (o.prompt == "-" || o.prompt_file == "-") {
    prompt = read_all(in);
    source = "stdin";
  } else if (!o.prompt_file.empty()) {
    auto text = read_file(o.prompt_file);
    if (!text)
      return usage("cannot read prompt file " + o.prompt_file + ": " + text.error().message);
    prompt = std::move(*text);
    source = "the prompt file";
  } else {
    if (!valid_utf8(o.prompt)) return usage("prompt: the argument is not valid UTF-8");
    prompt = o.prompt;
  }
  // A file is what it is; sending it with U+FFFD for the bad bytes beats refusing it.
  if (!source.empty() && repair_utf8_in_place(prompt))
    notes.push_back("the prompt from " + source +
                    " is not valid UTF-8; invalid bytes were replaced by U+FFFD");
  if (prompt.find_first_not_of(" \t\r\n") == std::string::npos)
    return usage("no prompt: give it as an argument, with -f FILE, or as - to read stdin");
  return prompt;
}

Result<Json> read_inputs(const std::vector<std::string>& paths) {
  Json inputs = Json::array();
  for (const auto& p : paths) {
    auto data = read_file(p);
    if (!data) return usage("--input " + p + ": " + data.error().message);
    std::string name = std::filesystem::path(p).filename().string();
    if (name.empty() || name == "." || name == "..")
      return usage("--input " + p + ": not a file name");
    inputs.push_back(Json{{"path", name}, {"data_b64", base64_encode(*data)}});
  }
  return inputs;
}

Result<Json> parse_labels(const std::vector<std::string>& labels) {
  Json out = Json::object();
  for (const auto& kv : labels) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return usage("--label '" + kv + "' must look like KEY=VALUE");
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

Result<std::string> absolute_dir(const std::string& dir, const std::string& cwd) {
  std::filesystem::path p(dir);
  if (p.is_relative()) {
    if (cwd.empty()) return usage("--workdir " + dir + ": cannot determine the current directory");
    p = std::filesystem::path(cwd) / p;
  }
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  if (!valid_utf8(s)) return usage("--workdir: the path " + repair_utf8(s) + " is not valid UTF-8");
  return s;
}

// The policy-narrowing flags are passed through; the daemon decides what they mean.
void add_policy_fields(const SubmitOptions& o, Json& body) {
  if (!o.policy.empty()) body["policy"] = o.policy;
  if (!o.ask.empty()) body["ask"] = o.ask;
  if (!o.allow.empty()) body["allow"] = o.allow;
  if (!o.deny.empty()) body["deny"] = o.deny;
  if (o.budget_usd >= 0) body["budget_usd"] = o.budget_usd;
}

// A duration flag as the seconds of a body field (whole seconds when it is whole).
Result<Json> seconds_field(const char* flag, const std::string& text) {
  auto ms = parse_duration_ms(text);
  if (!ms || *ms <= 0)
    return usage(std::string(flag) + " '" + text + "' is not a duration like 90s, 10m, 1h");
  if (*ms < 1000 || *ms > 365LL * 24 * 3600 * 1000)
    return usage(std::string(flag) + " '" + text + "' must be between 1s and 365d");
  if (*ms % 1000 == 0) return Json(*ms / 1000);
  return Json(static_cast<double>(*ms) / 1000.0);
}

Result<Json> build_body(const SubmitOptions& o, std::istream& in, const std::string& cwd,
                        std::vector<std::string>& notes) {
  Json body = Json::object();
  HARNESS_TRY_ASSIGN(body["prompt"], resolve_prompt(o, in, notes));
  if (!o.model.empty()) body["model"] = o.model;
  if (!o.sandbox.empty()) body["sandbox"] = o.sandbox;
  if (!o.run_as.empty()) body["run_as"] = o.run_as;
  if (!o.workdir.empty()) {
    HARNESS_TRY_ASSIGN(body["workdir"], absolute_dir(o.workdir, cwd));
  }
  if (!o.inputs.empty()) {
    HARNESS_TRY_ASSIGN(body["inputs"], read_inputs(o.inputs));
  }
  if (o.max_turns < 0) return usage("--max-turns must be a positive number");
  if (o.max_turns > 0) body["max_turns"] = o.max_turns;
  if (!o.timeout.empty()) {
    HARNESS_TRY_ASSIGN(body["timeout_s"], seconds_field("--timeout", o.timeout));
  }
  if (!o.inactivity.empty()) {
    HARNESS_TRY_ASSIGN(body["inactivity_s"], seconds_field("--inactivity", o.inactivity));
  }
  if (o.token_budget < 0) return usage("--token-budget must be a positive number");
  if (o.token_budget > 0) body["token_budget"] = o.token_budget;
  if (!o.labels.empty()) {
    HARNESS_TRY_ASSIGN(body["labels"], parse_labels(o.labels));
  }
  add_policy_fields(o, body);
  return body;
}
}  // namespace

Result<SubmitRequest> build_submit_request(const SubmitOptions& opts, std::istream& in,
                                           const std::string& cwd) {
  SubmitRequest req;
  HARNESS_TRY_ASSIGN(req.body, build_body(opts, in, cwd, req.notes));
  req.path =
      opts.session.empty() ? "/v1/leaves" : "/v1/sessions/" + url_encode(opts.session) + "/leaves";
  if (opts.fork) {
    req.path = "/v1/sessions/" + url_encode(opts.session) + "/fork";
    if (opts.fork_at > 0) req.body["seq"] = opts.fork_at;
  }
  if (!opts.idempotency_key.empty())
    req.headers.emplace_back("Idempotency-Key", opts.idempotency_key);
  return req;
}

std::string current_dir() {
  std::error_code ec;
  auto p = std::filesystem::current_path(ec);
  return ec ? std::string() : p.string();
}

}  // namespace harness::client
