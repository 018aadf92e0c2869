#pragma once
// The bubblewrap driver: new user/pid/ipc/uts/net/cgroup namespaces (nested user namespaces
// disabled), read-only system binds, the workspace read-write at /workspace, a private size-bound
// /tmp, capabilities dropped, a new session, the seccomp filter of seccomp.hpp, and for a root
// daemon a pids cgroup per sandbox. A root daemon running a leaf as another account has bwrap
// create no user namespace (the launcher makes one for it, bwrap_launch.hpp); harness-exec drops
// to that account itself before it speaks (`--drop`), the sh protocol's shell is started by
// setpriv (run_as.hpp). The
// ulimits (memory, file size, CPU, and processes when not root) are set by the channel's
// bootstrap; docs/sandbox.md says what each measure contains.

#include <string>
#include <vector>

#include "lib/sandbox/driver.hpp"
#include "lib/sandbox/exec_helper.hpp"

namespace harness::sandbox {

class BwrapDriver final : public Driver {
 public:
  // Reads the host's root layout once (which of /bin, /lib... are symlinks) to mirror it.
  // `exec_helper`: the host path of harness-exec to bind in and start instead of /bin/sh; ""
  // for the POSIX sh protocol. `launcher`: the host path of harness-exec to start bwrap with
  // (`--launch`, bwrap_launch.hpp); "" for the /bin/sh script that does the same.
  explicit BwrapDriver(model::SandboxProfile profile, std::string exec_helper = exec_helper_path(),
                       std::string launcher = exec_helper_path());
  // unavailable when the bwrap binary cannot be found (with how to install it) or the seccomp
  // filter cannot be built; invalid for a relative workspace. The argv is the launcher
  // (launch_argv: reopens the inherited filter as fd 4, joins the pids cgroup, makes the user
  // namespace of an account drop) followed by bwrap's: bwrap only takes its filter as an fd.
  harness::Result<std::vector<std::string>> shell_argv(const LeafContext& ctx) const override;
  std::string workspace_path() const override { return "/workspace"; }
  // The workspace fd (LeafContext::workspace_fd; bound with --bind-fd) as fd 3 of the wrapper,
  // the seccomp filter (seccomp::filter_fd) as fd 4. A Channel must be given these.
  std::vector<int> inherited_fds(const LeafContext& ctx) const override;
  ChannelProtocol channel_protocol() const override {
    return m_exec_helper.empty() ? ChannelProtocol::sh : ChannelProtocol::exec;
  }
  std::string channel_note() const override {
    return m_exec_helper.empty() ? "sh: harness-exec is not installed beside harnessd"
                                 : "harness-exec bound read-only";
  }

 private:
  model::SandboxProfile m_profile;
  std::vector<std::string> m_root_args;  // --symlink / --ro-bind for /bin, /lib, ...
  std::string m_exec_helper;
  std::string m_launcher;
};

// The bwrap binary of `profile` resolved on the daemon's PATH (or as given when it contains a
// '/'); unavailable "bwrap not found ...: apt-get install bubblewrap" when not executable.
harness::Result<std::string> find_bwrap(const model::SandboxProfile& profile);

}  // namespace harness::sandbox
