#pragma once
// What the container drivers (podman/docker, kubectl) run inside their sandbox: the shell the
// channel talks to, behind a short prelude, and the workspace copy. Pure argv construction.

#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/sandbox/driver.hpp"

namespace harness::sandbox {

// `sh -c PRELUDE sh LEAF WORKDIR HELPER NAME=VALUE...`, to append after an exec client's argv.
// The prelude kills what earlier shells of this leaf left running (processes whose command line
// holds the leaf's private dir /tmp/.harness/LEAF/, see channel_limits(profile, ctx)), creates
// and enters WORKDIR, then `exec env -i NAME=VALUE... sh`, so the shell sees only `env`. With
// `helper` (harness-exec's path inside the sandbox) it execs `helper /tmp/.harness/LEAF/`
// instead: the helper names its commands' $0 so, and they carry the marker too.
// invalid if the leaf id has characters other than [A-Za-z0-9_-].
harness::Result<std::vector<std::string>> remote_shell(const LeafContext& ctx,
                                                       const std::string& workdir,
                                                       const std::vector<std::string>& env,
                                                       const std::string& helper = "");

// A host command copying the leaf's workspace into `workdir` inside the sandbox: `sh -c 'cd SRC
// && [DROP] tar -cf - . | EXEC_PREFIX sh -c "mkdir -p W && tar -xf - -C W"'`. SRC is the
// workspace fd as the command's fd 3 (copy_in_fds) when the context has one, else its path;
// DROP (run_as.hpp) makes the host tar read as the leaf's account. tar archives symlinks as
// symlinks and never follows them. `exec_prefix` is the client's argv up to the command it runs
// in the sandbox (e.g. "podman exec -i ctr"). With `helper` (a harness-exec path the daemon
// placed there earlier) the command then prints k_helper_missing when that is no executable file
// any more (the container was recreated): one exec checks it for free.
std::vector<std::string> copy_in_argv(const LeafContext& ctx,
                                      const std::vector<std::string>& exec_prefix,
                                      const std::string& workdir, const std::string& helper = "");
inline constexpr const char* k_helper_missing = "harness-exec-missing";
// The descriptors copy_in_argv's command inherits (ChildRun::start's extra_fds).
std::vector<int> copy_in_fds(const LeafContext& ctx);

}  // namespace harness::sandbox
