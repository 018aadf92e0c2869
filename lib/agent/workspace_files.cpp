#include "lib/agent/workspace_files.hpp"

#include "lib/base/act_as.hpp"
#include "lib/base/beneath.hpp"
#include "lib/sandbox/tool_util.hpp"

namespace harness::agent {

Result<std::string> read_workspace_file(const std::string& workspace,
                                        const std::optional<Account>& run_as,
                                        const std::string& path, size_t max_bytes) {
  constexpr std::string_view k_inside = "/workspace";
  auto inside = sandbox::tool_util::resolve_path(k_inside, path);
  if (!inside) return make_error(ErrorCode::forbidden, path + " is outside the workspace");
  std::string rel = inside->size() > k_inside.size() ? inside->substr(k_inside.size() + 1) : "";
  // The daemon opens the workspace itself: a fresh one lies in the state dir, which the
  // account may not traverse. Everything beneath it is read with the account's permissions.
  HARNESS_TRY_ASSIGN(UniqueFd dir, open_dir_no_symlinks(workspace));
  ActAs as(run_as);
  HARNESS_TRY(as.status());
  return read_file_beneath(dir.get(), rel, max_bytes);
}

}  // namespace harness::agent
