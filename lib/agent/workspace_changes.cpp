#include "lib/agent/workspace_changes.hpp"

#include <spdlog/spdlog.h>

#include "lib/base/act_as.hpp"
#include "lib/base/assert.hpp"
#include "lib/base/beneath.hpp"
#include "lib/loop/defer.hpp"
#include "lib/sandbox/driver.hpp"

namespace harness::agent {
namespace {
using model::Json;

// .git holds what git does on the agent's behalf (objects, index): the files it touched in the
// tree are listed, git's own bookkeeping would only bury them.
RecentFilesLimits limits() {
  RecentFilesLimits lim;
  lim.skip_dirs = {".git"};
  return lim;
}

bool should_walk(const model::Leaf& leaf, const model::SandboxProfile* profile,
                 const std::string& node) {
  if (leaf.started_at == 0 || leaf.spec.workspace.empty()) return false;
  if (!profile || !sandbox::workspace_on_host(*profile)) return false;
  return node.empty() || leaf.node.empty() || leaf.node == node;
}
}  // namespace

Json workspace_changes_json(const RecentFiles& found) {
  Json files = Json::array();
  for (const auto& f : found.files)
    files.push_back(Json{{"path", f.path},
                         {"change", to_string(f.change)},
                         {"type", f.symlink ? "symlink" : "file"},
                         {"size", f.size}});
  return Json{
      {"files", std::move(files)}, {"count", found.count}, {"truncated", found.truncated()}};
}

Result<RecentFiles> scan_workspace(const std::string& workspace,
                                   const std::optional<Account>& run_as, std::int64_t since_ms) {
  // Opened by the daemon (a fresh workspace lies in the state dir the account may not enter);
  // everything beneath it is read with the account's permissions.
  HARNESS_TRY_ASSIGN(UniqueFd dir, open_dir_no_symlinks(workspace));
  ActAs as(run_as);
  HARNESS_TRY(as.status());
  return find_recent_files(dir.get(), since_ms, limits());
}

void with_workspace_changes(uv_loop_t* loop, const model::Leaf& leaf,
                            const model::SandboxProfile* profile, const std::string& node,
                            std::vector<model::EventDraft> drafts,
                            std::function<void(std::vector<model::EventDraft>)> next) {
  HARNESS_ASSERT(!drafts.empty());
  if (!should_walk(leaf, profile, node)) return next(std::move(drafts));
  auto found = std::make_shared<Result<RecentFiles>>(Error{});
  loop::run_blocking(
      loop,
      [found, ws = leaf.spec.workspace, run_as = leaf.spec.run_as, since = leaf.started_at] {
        // On a pool thread: nothing may escape.
        try {
          *found = scan_workspace(ws, run_as, since);
        } catch (const std::exception& e) {
          *found = make_error(ErrorCode::internal, e.what());
        }
      },
      [found, id = leaf.id, ws = leaf.spec.workspace, drafts = std::move(drafts),
       next = std::move(next)]() mutable {
        if (*found) {
          try {
            model::EventDraft d{std::string(model::event::workspace_changes),
                                workspace_changes_json(**found)};
            drafts.insert(drafts.end() - 1, std::move(d));
          } catch (const std::exception& e) {
            spdlog::warn("leaf {}: cannot record the changes in its workspace: {}", id, e.what());
          }
        } else {
          spdlog::warn("leaf {}: cannot list the changes in workspace {}: {}", id, ws,
                       found->error().message);
        }
        next(std::move(drafts));
      });
}

}  // namespace harness::agent
