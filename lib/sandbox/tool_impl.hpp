#pragma once
// Internal to lib/sandbox: one function per tool, called by run_tool with the input already
// parsed (model::parse_tool_input). Each checks what needs the workspace (paths) and then talks
// to the channel.

#include <functional>
#include <string>

#include "lib/model/tool_input.hpp"
#include "lib/sandbox/tools.hpp"

namespace harness::sandbox::detail {

using ToolDone = std::function<void(harness::Result<ToolOutcome>)>;

// Shared context of one call.
struct ToolCtx {
  Channel& ch;
  std::string workspace;  // inside the sandbox, e.g. "/workspace"
  ToolLimits lim;
  ToolDone done;
};

void run_bash(ToolCtx ctx, model::BashInput in);
void run_read_file(ToolCtx ctx, model::ReadFileInput in);
void run_write_file(ToolCtx ctx, model::WriteFileInput in);
void run_edit_file(ToolCtx ctx, model::EditFileInput in);
void run_list_files(ToolCtx ctx, model::ListFilesInput in);
void run_grep(ToolCtx ctx, model::GrepInput in);

// An is_error outcome with `message`.
ToolOutcome tool_error(std::string message);
// "timed out after Ns" style message for a request's timeout.
std::string timeout_message(std::int64_t timeout_ms);
// The failure of a command that should have succeeded: "WHAT: <stderr or stdout>", is_error,
// with its exit code (or the timeout message when it timed out after timeout_ms).
ToolOutcome command_failure(const ExecResult& r, const std::string& what, std::int64_t timeout_ms);

}  // namespace harness::sandbox::detail
