#pragma once
// The bubblewrap driver: new user/pid/ipc/uts/net(/cgroup) namespaces, read-only system binds,
// the workspace read-write at /workspace, a private /tmp, capabilities dropped.

#include <string>
#include <vector>

#include "lib/sandbox/driver.hpp"

namespace harness::sandbox {

class BwrapDriver final : public Driver {
 public:
  // Reads the host's root layout once (which of /bin, /lib... are symlinks) to mirror it.
  explicit BwrapDriver(model::SandboxProfile profile);
  harness::Result<std::vector<std::string>> shell_argv(const LeafContext& ctx) const override;
  std::string workspace_path() const override { return "/workspace"; }

 private:
  model::SandboxProfile m_profile;
  std::vector<std::string> m_root_args;  // --symlink / --ro-bind for /bin, /lib, ...
};

}  // namespace harness::sandbox
