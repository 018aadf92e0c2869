// Policies (lib/model/policy): rule parsing, glob matching of a call's main argument, narrowing
// and the strictness check behind resume. Rules come from the config and from submitters'
// --allow/--ask/--deny; calls from the model. Input: lines of
//   A|K|D RULE     an allow/ask/deny rule of the base policy       F VERDICT  its default
//   a|k|d RULE     a narrowing rule (--allow/--ask/--deny)
//   B|C|E RULE     an allow/ask/deny rule of a candidate policy    G VERDICT  its default
//   T TOOL ARG     a tool call; ARG is the command (bash), the path (file tools) or the summary
//   M GLOB<TAB>TEXT  a bare glob match
// Checked: narrowing never loosens a call, and is_at_least_as_strict never says true of a
// candidate that decides some call more loosely than the base.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/policy.hpp"
#include "lib/sandbox/tool_util.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace harness;
using model::Verdict;

int rank(Verdict v) {
  return static_cast<int>(v);
}

void add_rule(std::vector<model::Rule>& to, std::string_view text) {
  auto r = model::parse_rule(text);
  if (r) {
    FUZZ_CHECK(!r->tool.empty() && !r->glob.empty());
    to.push_back(std::move(*r));
  }
}

void set_fallback(Verdict& to, std::string_view text) {
  if (auto v = model::parse_verdict(text)) to = *v;
}

model::ToolCall make_call(std::string_view rest) {
  auto [tool, arg] = fuzz::split_first(rest, ' ');
  model::ToolCall call{"call_1", std::string(tool), model::Json::object()};
  const char* key = call.name == "bash"               ? "command"
                    : call.name == "request_approval" ? "summary"
                                                      : "path";
  // The model's JSON may carry any bytes; a string that is not UTF-8 is still a string here.
  call.input[key] = std::string(arg);
  return call;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  model::Policy base, candidate;
  model::Narrowing narrowing;
  std::vector<model::ToolCall> calls;
  while (!in.empty()) {
    auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    if (line.size() < 2 || line[1] != ' ') continue;
    std::string_view rest = line.substr(2);
    switch (line[0]) {
      case 'A':
        add_rule(base.allow, rest);
        break;
      case 'K':
        add_rule(base.ask, rest);
        break;
      case 'D':
        add_rule(base.deny, rest);
        break;
      case 'F':
        set_fallback(base.fallback, rest);
        break;
      case 'a':
        narrowing.allow.emplace_back(rest);
        break;
      case 'k':
        narrowing.ask.emplace_back(rest);
        break;
      case 'd':
        narrowing.deny.emplace_back(rest);
        break;
      case 'B':
        add_rule(candidate.allow, rest);
        break;
      case 'C':
        add_rule(candidate.ask, rest);
        break;
      case 'E':
        add_rule(candidate.deny, rest);
        break;
      case 'G':
        set_fallback(candidate.fallback, rest);
        break;
      case 'T':
        calls.push_back(make_call(rest));
        break;
      case 'M': {
        auto [glob, text] = fuzz::split_first(rest, '\t');
        (void)model::glob_matches(glob, text);
        (void)sandbox::tool_util::glob_match(glob, text);
        break;
      }
      default:
        break;
    }
  }
  auto narrowed = model::narrow(base, narrowing);
  bool stricter = model::is_at_least_as_strict(candidate, base);
  for (const auto& call : calls) {
    auto before = model::decide(base, call);
    if (narrowed) FUZZ_CHECK(rank(model::decide(*narrowed, call).verdict) >= rank(before.verdict));
    if (stricter) FUZZ_CHECK(rank(model::decide(candidate, call).verdict) >= rank(before.verdict));
    // The main argument is normalised once and for all: a rule cannot be dodged by spelling.
    std::string arg = model::main_argument(call);
    model::ToolCall again = call;
    again.input[call.name == "bash" ? "command" : "path"] = arg;
    if (call.name != "request_approval") FUZZ_CHECK(model::main_argument(again) == arg);
  }
  auto j = model::to_json(base);
  auto back = model::policy_from_json(j);
  FUZZ_CHECK(back.has_value());
  return 0;
}
