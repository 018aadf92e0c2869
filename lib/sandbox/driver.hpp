#pragma once
// Sandbox drivers: each knows only how to start a POSIX shell inside its kind of sandbox. The
// channel (channel.hpp) does everything else, identically for every driver. No I/O at call time.

#include <memory>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/profiles.hpp"
#include "lib/sandbox/exec.hpp"

namespace harness::sandbox {

// Where one leaf's tools run.
struct LeafContext {
  std::string leaf_id;
  std::string workspace;  // host dir bound read-write at workspace_path()
};

// One per sandbox profile; immutable after make_driver, so any thread may call it.
class Driver {
 public:
  virtual ~Driver() = default;
  // The argv that starts a long-lived POSIX shell reading commands on stdin inside the sandbox,
  // with its working directory at the workspace. invalid/unavailable with a reason if it cannot.
  virtual harness::Result<std::vector<std::string>> shell_argv(const LeafContext& ctx) const = 0;
  // Path of the workspace inside the sandbox ("/workspace").
  virtual std::string workspace_path() const = 0;
};

// The driver for `profile.driver`: "bwrap" now; other names fail invalid
// "driver X is not supported yet".
harness::Result<std::unique_ptr<Driver>> make_driver(const model::SandboxProfile& profile);

// The complete environment of a sandbox of this profile: PATH, HOME=/workspace, LANG, TERM and
// the profile's NAME=VALUE allowlist. Nothing of the daemon's own environment.
std::vector<std::string> sandbox_env(const model::SandboxProfile& profile);

// Channel limits from the profile (ulimits, names for messages). pids_max is only applied when
// the daemon does not run as root: RLIMIT_NPROC counts all processes of the (host) uid.
ChannelLimits channel_limits(const model::SandboxProfile& profile);

}  // namespace harness::sandbox
