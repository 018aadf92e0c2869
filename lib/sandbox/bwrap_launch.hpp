#pragma once
// The host-side start of a bwrap sandbox: what runs between the daemon's spawn and bwrap. It
// reopens the inherited seccomp filter (fd 4) with a read offset of its own (bwrap only takes its
// filter as an fd, and every sandbox shares the daemon's memfd), moves itself into a fresh pids
// cgroup for a root daemon (so no fork in the sandbox escapes the cap), and when the leaf drops to
// another account makes the user namespace bwrap runs in (run_as.hpp) — then becomes bwrap.
// `harness-exec --launch` (apps/harness-exec/launch.c) does that with a few syscalls in one
// process; without harness-exec, a /bin/sh script with mkdir, unshare and nsenter does the same.
// Pure argv construction, except the cgroup lookup and sweep.

#include <cstdint>
#include <string>
#include <vector>

#include "lib/sandbox/driver.hpp"

namespace harness::sandbox {

// Where a root daemon caps a sandbox's processes: RLIMIT_NPROC never applies to host uid 0 (the
// kernel exempts root's user_struct, user namespace or not), so for root the cap is a pids cgroup.
// A v1 pids hierarchy or a v2 root offering the pids controller; "" when neither is writable
// (then only the rlimit, which does hold for a non-root daemon). Looked up once.
const std::string& pids_cgroup_base();

// Removes the empty sbx-* cgroups of sandboxes that have ended under `base` (busy ones refuse
// rmdir): a few in-memory cgroupfs syscalls in the daemon, no process. A launch that loses its
// fresh cgroup to a concurrent sweep retries.
void sweep_pids_cgroups(const std::string& base);

// The argv that prepares the process as above and execs what follows it (bwrap's path, then its
// arguments). harness-exec also makes sure to lead a session of its own with no controlling
// terminal (what bwrap --new-session would do, at the cost of a second session); the shell does
// not: `launch_sets_session` says which, so bwrap gets --new-session only after the shell.
// `launcher`: harness-exec on the host, or "" for the shell. `cgroup_base` "" or `pids_max` <= 0:
// no cgroup. A failed step exits 97 with a message on stderr.
std::vector<std::string> launch_argv(const std::string& launcher, const std::string& cgroup_base,
                                     std::int64_t pids_max, const LeafContext& ctx);
inline bool launch_sets_session(const std::string& launcher) {
  return !launcher.empty();
}

}  // namespace harness::sandbox
