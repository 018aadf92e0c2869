#include "lib/sandbox/driver.hpp"

#include <unistd.h>

#include "lib/sandbox/bwrap_driver.hpp"
#include "lib/sandbox/kubectl_driver.hpp"
#include "lib/sandbox/lease.hpp"
#include "lib/sandbox/podman_driver.hpp"
#include "lib/sandbox/run_as.hpp"

namespace harness::sandbox {
namespace {

void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return;
  for (auto& e : env) {
    if (e.compare(0, eq + 1, kv, 0, eq + 1) == 0) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

}  // namespace

harness::Result<std::unique_ptr<Driver>> make_driver(const model::SandboxProfile& profile,
                                                     PodLeases* leases) {
  if (profile.driver == "bwrap") return std::unique_ptr<Driver>(new BwrapDriver(profile));
  if (profile.driver == "podman" || profile.driver == "docker") {
    if (profile.container.empty() == profile.image.empty())
      return make_error(ErrorCode::invalid, "set exactly one of 'container' and 'image'");
    return std::unique_ptr<Driver>(new PodmanDriver(profile));
  }
  if (profile.driver == "kubectl") {
    if (profile.pod.empty() == profile.selector.empty())
      return make_error(ErrorCode::invalid, "set exactly one of 'pod' and 'selector'");
    PodLeases& table = leases ? *leases : process_pod_leases();
    return std::unique_ptr<Driver>(new KubectlDriver(profile, table));
  }
  return make_error(ErrorCode::invalid, "driver " + profile.driver + " is not supported yet");
}

bool workspace_on_host(const model::SandboxProfile& profile) {
  if (profile.driver == "bwrap") return true;
  return (profile.driver == "podman" || profile.driver == "docker") && !profile.image.empty();
}

std::vector<std::string> Driver::launch_env(const model::SandboxProfile& profile) const {
  return sandbox_env(profile);
}

std::vector<std::string> sandbox_env(const model::SandboxProfile& profile) {
  std::vector<std::string> env{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/workspace",
                               "LANG=C.UTF-8", "TERM=dumb"};
  for (const auto& kv : profile.env) set_env(env, kv);
  return env;
}

ChannelLimits channel_limits(const model::SandboxProfile& profile) {
  ChannelLimits l;
  l.name = "sandbox '" + profile.name + "' (" + profile.driver + ")";
  l.memory_mb = profile.memory_mb;
  l.file_size_mb = profile.file_size_mb;
  l.cpu_seconds = profile.cpu_seconds;
  l.pids_max = geteuid() == 0 ? 0 : profile.pids_max;
  return l;
}

ChannelLimits channel_limits(const model::SandboxProfile& profile, const LeafContext& ctx) {
  ChannelLimits l = channel_limits(profile);
  l.private_dir = "/tmp/.harness/" + ctx.leaf_id;
  // Containers and pods get their process/memory caps from the runtime (--pids-limit,
  // --memory, the pod's limits); RLIMIT_NPROC there counts the container uid's processes.
  if (profile.driver != "bwrap") l.pids_max = 0;
  // A sandbox that dropped to the leaf's account has a user namespace of its own: RLIMIT_NPROC
  // counts (namespace, uid), i.e. this sandbox's processes, and holds for a non-root uid.
  if (profile.driver == "bwrap" && drops_privileges(ctx)) l.pids_max = profile.pids_max;
  return l;
}

}  // namespace harness::sandbox
