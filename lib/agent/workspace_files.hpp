#pragma once
// The daemon's own reads of a leaf's workspace on the host (gate previews). Beneath the
// workspace directory, never through a symlink (lib/base/beneath.hpp), and with the leaf's
// account's permissions (lib/base/act_as.hpp). Blocking: call off the loop.

#include <optional>
#include <string>

#include "lib/base/account.hpp"
#include "lib/base/result.hpp"

namespace harness::agent {

// The regular file at `path` — as a tool call names it: relative to the workspace or absolute
// under /workspace — in the host directory `workspace`, read as `run_as` (none = the daemon),
// at most `max_bytes`. not_found when it does not exist (a new file); forbidden for a symlink
// ("x is a symlink to T; not followed"), a path leaving the workspace, or no permission;
// invalid for a directory or a fifo; too_large beyond max_bytes.
Result<std::string> read_workspace_file(const std::string& workspace,
                                        const std::optional<Account>& run_as,
                                        const std::string& path, size_t max_bytes);

}  // namespace harness::agent
