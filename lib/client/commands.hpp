#pragma once
// One function per harnessctl subcommand. Each takes the invocation's Context and its parsed
// options and returns the process exit code (lib/client/exit_codes.hpp). Blocking; single thread.

#include "lib/client/context.hpp"
#include "lib/client/options.hpp"

namespace harness::client {

// submit / resume (resume sets opts.session); `run` is submit with follow + wait + run_mode
// (progress on stderr, the final answer on stdout, no id on stdout).
int cmd_submit(Context& ctx, const SubmitOptions& opts, bool run_mode = false);
int cmd_wait(Context& ctx, const WaitOptions& opts);
int cmd_status(Context& ctx, const LeafIdOptions& opts);
int cmd_list(Context& ctx, const ListOptions& opts);
int cmd_logs(Context& ctx, const LogsOptions& opts);
int cmd_cancel(Context& ctx, const LeafIdOptions& opts);
// Never fails because the daemon is down: says so and exits 0.
int cmd_version(Context& ctx);
// The daemon's self-check as a checklist: 0 all passed, 3 any failed, 10 daemon unreachable.
int cmd_doctor(Context& ctx);

// harnessctl's own version.
inline constexpr const char* k_client_version = "0.1.0";

}  // namespace harness::client
