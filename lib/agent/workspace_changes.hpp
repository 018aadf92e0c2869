#pragma once
// The workspace_changes event: when a leaf ends, the files of its workspace that were created or
// changed since it started (docs/api.md "Events"), persisted in the same append as, and just
// before, its leaf_finished. The walk (lib/base/recent_files.hpp) runs on libuv's thread pool,
// beneath the workspace's fd, never through a symlink, with the leaf's account's permissions.
// Loop thread, except the walk.

#include <uv.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/recent_files.hpp"
#include "lib/model/leaf.hpp"
#include "lib/model/profiles.hpp"

namespace harness::agent {

// The event's data: {"files": [{"path","change","type","size"}], "count": N, "truncated": b}.
model::Json workspace_changes_json(const RecentFiles& found);

// Blocking: the changes in the host directory `workspace` since `since_ms`, read as `run_as`
// (none = the daemon). Errors as open_dir_no_symlinks / find_recent_files.
Result<RecentFiles> scan_workspace(const std::string& workspace,
                                   const std::optional<Account>& run_as, std::int64_t since_ms);

// `drafts` end with `leaf`'s leaf_finished draft. Inserts the workspace_changes draft before it
// and calls `next` on the loop — or calls it with `drafts` unchanged when there is nothing to
// walk: the leaf never started, has no workspace, its sandbox (`profile`; null = unknown) keeps
// the workspace off this host, or another daemon (`node`) ran it. A walk that fails is logged;
// the leaf still ends. `next` must not throw (it runs from a libuv callback).
void with_workspace_changes(uv_loop_t* loop, const model::Leaf& leaf,
                            const model::SandboxProfile* profile, const std::string& node,
                            std::vector<model::EventDraft> drafts,
                            std::function<void(std::vector<model::EventDraft>)> next);

}  // namespace harness::agent
