#pragma once
// Sandbox drivers: each knows only how to start a POSIX shell inside its kind of sandbox. The
// channel (channel.hpp) does everything else, identically for every driver. shell_argv does no
// I/O; prepare/finish of the container drivers run short helper processes (child.hpp).

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/account.hpp"
#include "lib/base/result.hpp"
#include "lib/model/profiles.hpp"
#include "lib/sandbox/exec.hpp"

namespace harness::sandbox {

// Where one leaf's tools run.
struct LeafContext {
  std::string leaf_id;
  std::string workspace;  // host dir; bound or copied to workspace_path() inside the sandbox
  // The account the tools run as (a root daemon); none = the daemon's own. See run_as.hpp.
  std::optional<Account> run_as = std::nullopt;
  // The workspace opened without following symlinks (borrowed; the runner keeps it open while
  // the leaf runs); -1 = use the path. Handed to the sandbox's processes, see inherited_fds().
  int workspace_fd = -1;
};

class PodLeases;

// Made per leaf (make_driver); drivers that create or lease something keep per-leaf state
// between prepare() and finish(). Loop thread only.
//
// Lifecycle the runner follows: make_driver → prepare(ctx) → [shell_argv(ctx) → Channel ...] →
// finish(). prepare/finish are no-ops for bwrap.
class Driver {
 public:
  using PrepareDone = std::function<void(harness::Status)>;
  virtual ~Driver() = default;
  // Before the first shell of a leaf: create the per-leaf container, lease a pod, copy the
  // workspace in. Calls done exactly once on the loop (possibly before returning); an error
  // (unavailable, with the tool's own message) must fail the leaf sandbox_error. Destroying
  // the driver meanwhile cancels it (done is then not called).
  virtual void prepare(uv_loop_t* loop, const LeafContext& ctx, PrepareDone done) {
    (void)loop;
    (void)ctx;
    done({});
  }
  // At leaf end, whatever the outcome (after the channel was closed): copy outputs back to the
  // host workspace, remove the per-leaf container, give back the lease. `done` is called once
  // the outputs are back; removal continues detached. Safe without a prepare(); idempotent.
  virtual void finish(uv_loop_t* loop, std::function<void()> done) {
    (void)loop;
    done();
  }
  // The argv that starts a long-lived POSIX shell reading commands on stdin inside the sandbox,
  // with its working directory at the workspace. invalid/unavailable with a reason if it cannot.
  virtual harness::Result<std::vector<std::string>> shell_argv(const LeafContext& ctx) const = 0;
  // Descriptors the process of shell_argv() inherits: element i becomes its fd 3 + i (-1 =
  // none). Default: none.
  virtual std::vector<int> inherited_fds(const LeafContext& ctx) const {
    (void)ctx;
    return {};
  }
  // What the process shell_argv starts speaks: harness-exec where the driver places the helper,
  // else the POSIX sh protocol. Final once prepare() succeeded (an existing container or pod
  // decides in prepare(): helper_placer.hpp).
  virtual ChannelProtocol channel_protocol() const { return ChannelProtocol::sh; }
  // How channel_protocol() came about, for `doctor`: "harness-exec bound read-only", "harness-exec
  // copied in at PATH", "sh: <why not the helper>".
  virtual std::string channel_note() const { return ""; }
  // Path of the workspace inside the sandbox ("/workspace"); final once prepare() succeeded.
  virtual std::string workspace_path() const = 0;
  // The complete environment of the process shell_argv starts. Default (bwrap):
  // sandbox_env(profile). Container clients get client_env() and set the sandbox's inside.
  virtual std::vector<std::string> launch_env(const model::SandboxProfile& profile) const;
};

// The driver for `profile.driver`: bwrap, podman, docker or kubectl; others fail invalid
// "driver X is not supported yet". `leases` (kubectl selector) defaults to
// process_pod_leases() (lease.hpp); it must outlive the driver.
harness::Result<std::unique_ptr<Driver>> make_driver(const model::SandboxProfile& profile,
                                                     PodLeases* leases = nullptr);

// True when the sandbox's /workspace is the host directory itself (bwrap binds it, a per-leaf
// podman/docker container mounts it), so what the tools write is there on the host when the leaf
// ends. False when the workspace is copied into an existing container or a pod and stays there.
bool workspace_on_host(const model::SandboxProfile& profile);

// The complete environment of a sandbox of this profile: PATH, HOME=/workspace, LANG, TERM and
// the profile's NAME=VALUE allowlist. Nothing of the daemon's own environment.
std::vector<std::string> sandbox_env(const model::SandboxProfile& profile);

// Channel limits from the profile (ulimits, names for messages). pids_max is only applied when
// the daemon does not run as root: RLIMIT_NPROC counts all processes of the (host) uid.
ChannelLimits channel_limits(const model::SandboxProfile& profile);
// Same, with the channel's private dir under /tmp/.harness/<leaf id>/: the per-leaf marker by
// which a new shell of the leaf (container drivers) kills commands a lost shell left running.
// A bwrap sandbox that drops to the leaf's account (run_as.hpp) gets pids_max as RLIMIT_NPROC too.
ChannelLimits channel_limits(const model::SandboxProfile& profile, const LeafContext& ctx);

}  // namespace harness::sandbox
