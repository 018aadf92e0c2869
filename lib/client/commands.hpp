#pragma once
// One function per harnessctl subcommand. Each takes the invocation's Context and its parsed
// options and returns the process exit code (lib/client/exit_codes.hpp). Blocking; single thread.

#include "lib/client/context.hpp"
#include "lib/client/options.hpp"
#include "lib/client/verdict.hpp"

namespace harness::client {

// submit / resume (resume sets opts.session); `run` is submit with follow + wait + run_mode
// (progress on stderr, the final answer on stdout, no id on stdout).
int cmd_submit(Context& ctx, const SubmitOptions& opts, bool run_mode = false);
int cmd_wait(Context& ctx, const WaitOptions& opts);
int cmd_status(Context& ctx, const LeafIdOptions& opts);
int cmd_list(Context& ctx, const ListOptions& opts);
int cmd_logs(Context& ctx, const LogsOptions& opts);
int cmd_cancel(Context& ctx, const LeafIdOptions& opts);
// GET /v1/approvals as a table (or JSON); "no open gates" on stderr when there are none.
int cmd_approvals(Context& ctx);
// approve / reject: POSTs the verdict and says what happened; "already" answers exit 0,
// 403 exits 4, 409 exits 1, an unknown leaf 9.
int cmd_verdict(Context& ctx, const VerdictOptions& opts, Verdict verdict);
// schedule add|ls|show|rm|pause|resume|run-now (cmd_schedule.cpp): one request each. For add,
// `leaf` holds the submit flags given after "--" (parsed as submit parses them).
int cmd_schedule(Context& ctx, const ScheduleOptions& opts, const SubmitOptions* leaf);
// Never fails because the daemon is down: says so and exits 0.
int cmd_version(Context& ctx);
// The daemon's self-check as a checklist: 0 all passed, 3 any failed, 10 daemon unreachable.
int cmd_doctor(Context& ctx);

// harnessctl's own version.
inline constexpr const char* k_client_version = "0.1.0";

}  // namespace harness::client
