// A tool call's input as the model writes it, through what the leaf does with it
// (lib/agent/gates.cpp handle_call): model::parse_tool_input (the schema validators), then for a
// valid input the policy's main argument and decision, the gate preview and the tool itself
// (lib/sandbox run_tool, which parses again). Input: "TOOL\nJSON". The sandbox shell is a
// program that does not exist, so an input the tool accepts ends in `unavailable` without
// running anything.
#include <unistd.h>
#include <uv.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "lib/agent/gates.hpp"
#include "lib/base/utf8.hpp"
#include "lib/model/policy.hpp"
#include "lib/model/tool_input.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/driver.hpp"
#include "lib/sandbox/tools.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace harness;

uv_loop_t g_loop;
std::string g_workspace;  // an empty host dir: previews diff against nothing
std::unique_ptr<sandbox::Driver> g_driver;
model::Policy g_policy;  // every tool asked, so decide() walks the rules of every call

template <class F>
void run_until(F done) {
  while (!done()) uv_run(&g_loop, UV_RUN_ONCE);
}

// The tool whose struct `in` is, as parse_tool_input names it.
std::string_view tool_of(const model::ToolInput& in) {
  static constexpr std::string_view k_names[] = {
      "bash", "read_file", "write_file", "edit_file", "list_files", "grep", "request_approval"};
  return k_names[in.index()];
}

// What parse_tool_input promises about a value it returns (tool_input.hpp).
void check_parsed(const model::ToolInput& in) {
  if (const auto* b = std::get_if<model::BashInput>(&in); b && b->timeout_s) {
    FUZZ_CHECK(std::isfinite(*b->timeout_s));
    FUZZ_CHECK(*b->timeout_s > 0 && *b->timeout_s <= model::k_max_tool_timeout_s);
  }
  if (const auto* r = std::get_if<model::ReadFileInput>(&in)) {
    for (const auto& n : {r->offset, r->limit})
      FUZZ_CHECK(!n || (*n >= 1 && *n <= model::k_max_line_number));
  }
  if (const auto* e = std::get_if<model::EditFileInput>(&in))
    FUZZ_CHECK(!e->old_text.empty() && e->old_text != e->new_text);
  if (const auto* l = std::get_if<model::ListFilesInput>(&in))
    FUZZ_CHECK(!l->glob || !l->glob->empty());
  if (const auto* g = std::get_if<model::GrepInput>(&in)) {
    FUZZ_CHECK(!g->pattern.empty());
    FUZZ_CHECK(!g->glob || !g->glob->empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  uv_loop_init(&g_loop);
  char tmpl[] = "/tmp/harness-fuzz-ws-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  g_workspace = tmpl;
  std::atexit([] { rmdir(g_workspace.c_str()); });
  model::SandboxProfile profile;
  profile.name = "fuzz";
  profile.driver = "bwrap";
  auto d = sandbox::make_driver(profile);
  if (!d) std::abort();
  g_driver = std::move(*d);
  g_policy.name = "fuzz";
  for (const char* text : {"bash:git push*", "write_file:src/**", "*:*secret*", "grep"}) {
    auto r = model::parse_rule(text);
    if (!r) std::abort();
    g_policy.ask.push_back(std::move(*r));
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [tool, json] =
      fuzz::split_first(std::string_view(reinterpret_cast<const char*>(data), size), '\n');
  auto input = model::Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  model::ToolCall call{"call_1", std::string(tool), std::move(input)};

  auto parsed = model::parse_tool_input(call.name, call.input);
  if (!parsed) {
    // The message goes to the model as the tool's result (and into the event log).
    const std::string& m = parsed.error().message;
    FUZZ_CHECK(parsed.error().code == ErrorCode::bad_request);
    FUZZ_CHECK(m.rfind(call.name + ": ", 0) == 0 || m.rfind("unknown tool ", 0) == 0);
    // Built from the tool name and input keys only: UTF-8 whenever the name is (the input's
    // keys passed the JSON parser), so the message is never what needs repairing.
    FUZZ_CHECK(!valid_utf8(call.name) || valid_utf8(m));
    return 0;
  }
  FUZZ_CHECK(tool_of(*parsed) == call.name);
  check_parsed(*parsed);

  (void)model::main_argument(call);
  (void)model::decide(g_policy, call);

  bool previewed = false;
  agent::gate_preview(&g_loop, g_workspace, std::nullopt, *parsed,
                      [&](Result<model::Json> preview) {
                        // A preview fails only with internal (a throw on the pool thread).
                        FUZZ_CHECK(!preview || preview->is_object());
                        FUZZ_CHECK(preview || preview.error().code == ErrorCode::internal);
                        previewed = true;
                      });
  run_until([&] { return previewed; });

  std::optional<Result<sandbox::ToolOutcome>> outcome;
  {
    sandbox::Channel ch(&g_loop, {"/nonexistent/harness-fuzz-shell"}, {}, sandbox::ChannelLimits{},
                        sandbox::ChannelProtocol::sh);
    sandbox::run_tool(ch, *g_driver, call, sandbox::ToolLimits{},
                      [&](Result<sandbox::ToolOutcome> r) { outcome.emplace(std::move(r)); });
    run_until([&] { return outcome.has_value(); });
  }
  uv_run(&g_loop, UV_RUN_NOWAIT);  // let the channel's handles close
  if (*outcome) {
    FUZZ_CHECK((*outcome)->is_error);  // nothing can have run
    FUZZ_CHECK(!(*outcome)->content.empty());
  } else {
    FUZZ_CHECK(outcome->error().code == ErrorCode::unavailable);
  }
  return 0;
}
