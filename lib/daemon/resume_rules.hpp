#pragma once
// A resumed leaf is pinned to its session (SPEC §2, docs/security.md "Sessions and owners"): it
// inherits the sandbox profile, workdir and limits of the session's latest leaf and may only
// narrow them. The policy is pinned by resolve_policy (submit.hpp). Pure.

#include "lib/config/config.hpp"
#include "lib/daemon/submit.hpp"

namespace harness::daemon {

// Fills the sandbox profile, workdir/workspace, max_turns and timeout the request left unset
// from `previous` (the session's latest leaf). forbidden, naming the setting, for another
// sandbox profile or workdir, or a larger max_turns or timeout — unless `admin`.
Status pin_to_session(SubmitPlan& plan, const model::Leaf& previous, const config::Config& cfg,
                      bool admin);

}  // namespace harness::daemon
