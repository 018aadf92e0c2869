#pragma once
// Workdir rules (SPEC §11; docs/security.md "Workdir rules"): a leaf's --workdir must be a
// directory its account could write with its own permissions, under one of [auth]
// workdir_roots when that is set. Blocking (file system and NSS-free): run off the loop.

#include <optional>
#include <string>
#include <vector>

#include "lib/base/account.hpp"
#include "lib/base/result.hpp"
#include "lib/daemon/submit.hpp"

namespace harness::daemon {

// The real path of `workdir` if a leaf running as `who` (none = the daemon's own account) may use
// it. The path is resolved one component at a time from "/" with the account's permissions
// (openat with O_NOFOLLOW; a symlink's target is resolved in its place, as the account could),
// so it never passes through a directory the account cannot search. Then the real path must lie
// under a root of `roots` (if any) and be writable and searchable by the account.
// invalid when it does not exist or is not a directory; forbidden, naming the rule, otherwise.
Result<std::string> check_workdir(const std::string& workdir, const std::optional<Account>& who,
                                  const std::vector<std::string>& roots);

// Applies the rules to a plan: nothing to do without a workdir; forbidden when the caller may
// only use fresh workspaces (plan.fresh_only); else spec.workspace becomes the real path.
Status apply_workdir_rules(SubmitPlan& plan, const std::vector<std::string>& roots);

}  // namespace harness::daemon
