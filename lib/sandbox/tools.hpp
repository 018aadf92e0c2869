#pragma once
// The six sandbox tools of SPEC §5 (bash, read_file, write_file, edit_file, list_files, grep):
// their schemas for the model, and running one call through a leaf's channel. Loop thread only.
// request_approval is not here: the agent handles it without a sandbox.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/model/conversation.hpp"
#include "lib/sandbox/channel.hpp"
#include "lib/sandbox/driver.hpp"

namespace harness::sandbox {

// The tool definitions offered to the model (name, description, JSON schema of the input).
std::vector<model::ToolSpec> tool_specs();
// True for tools that change nothing (read_file, list_files, grep): safe to re-run after a crash.
bool is_read_only(std::string_view tool);

// What the model gets back. exit_code is set when a command ran (bash, and failures of others).
struct ToolOutcome {
  std::string content;
  bool is_error = false;
  std::optional<int> exit_code;
};

// Per-call limits from the sandbox profile; the model may lower the timeout, never raise it.
struct ToolLimits {
  std::int64_t timeout_ms = 120'000;
  std::int64_t output_cap = 32 * 1024;  // per stream (head + tail)
};

// Runs one tool call through the channel and calls `done` exactly once (possibly before
// returning). Bad input (model::parse_tool_input's errors, a path escaping the workspace, an
// unknown tool) is a ToolOutcome with is_error and nothing runs. The content is always valid
// UTF-8: bytes that are not are replaced by U+FFFD. An Error (unavailable) only when the
// sandbox itself failed. `ch` and `drv` must outlive the call.
void run_tool(Channel& ch, const Driver& drv, const model::ToolCall& call, const ToolLimits& lim,
              std::function<void(harness::Result<ToolOutcome>)> done);

}  // namespace harness::sandbox
