#pragma once
// Gates: the request_approval tool and what an approver is shown before a gated call runs.

#include <uv.h>

#include <functional>
#include <optional>
#include <string>

#include "lib/base/account.hpp"
#include "lib/model/conversation.hpp"
#include "lib/model/tool_input.hpp"

namespace harness::agent {

// The daemon-handled tool the model calls to ask a human: opens a gate; the verdict and its
// message are the tool's result.
model::ToolSpec request_approval_spec();

// What a gate shows for a call with this (parsed) input: {"command": …} for bash; {"diff": …}
// (unified) for write_file/edit_file, computed against the file in the leaf's workspace on the
// host, read as `run_as` and never through a symlink (then the diff is one line naming the
// symlink); {} otherwise. Reads files off the loop thread; `done` runs on the loop, with internal
// if computing the preview threw.
void gate_preview(uv_loop_t* loop, const std::string& host_workspace,
                  const std::optional<Account>& run_as, const model::ToolInput& input,
                  std::function<void(Result<model::Json> preview)> done);

}  // namespace harness::agent
