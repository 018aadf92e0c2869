// A tool call's input as the model writes it, through everything that reads it before or while
// the tool runs: the policy's main argument, the gate preview (lib/agent/gates) and the tool's
// own checks (lib/sandbox run_tool). Input: "TOOL\nJSON". The sandbox shell is a program that
// does not exist, so an input the tool accepts ends in `unavailable` without running anything.
// TODO(#7): fuzz parse_tool_input (the schema validators of issue 7) directly once it is on main.
#include <unistd.h>
#include <uv.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "lib/agent/gates.hpp"
#include "lib/model/policy.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/driver.hpp"
#include "lib/sandbox/tools.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace harness;

uv_loop_t g_loop;
std::string g_workspace;  // an empty host dir: previews diff against nothing
std::unique_ptr<sandbox::Driver> g_driver;

template <class F>
void run_until(F done) {
  while (!done()) uv_run(&g_loop, UV_RUN_ONCE);
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
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto [tool, json] =
      fuzz::split_first(std::string_view(reinterpret_cast<const char*>(data), size), '\n');
  auto input = model::Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  model::ToolCall call{"call_1", std::string(tool), std::move(input)};

  (void)model::main_argument(call);

  bool previewed = false;
  agent::gate_preview(&g_loop, g_workspace, call, [&](model::Json preview) {
    FUZZ_CHECK(preview.is_object());
    previewed = true;
  });
  run_until([&] { return previewed; });

  std::optional<Result<sandbox::ToolOutcome>> outcome;
  {
    sandbox::Channel ch(&g_loop, {"/nonexistent/harness-fuzz-shell"}, {}, sandbox::ChannelLimits{});
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
