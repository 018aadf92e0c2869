#pragma once
// The podman/docker driver (same code; the binary differs). Two modes:
// - container = "NAME": exec into an existing container. Each leaf works in /workspace/<leaf id>
//   inside it; prepare() copies the host workspace in (tar through an exec stream). Outputs are
//   NOT copied back: they stay in the container (see README "Sandbox drivers").
// - image = "IMAGE": prepare() creates a hardened container harness-<leaf id> with the host
//   workspace bind-mounted at /workspace and harness-exec bound read-only at /run/harness/exec
//   (the channel then speaks its protocol); finish() removes it. Under a root daemon it runs as
//   the leaf's account (--user UID:GID, --group-add). An existing container runs as its own user;
//   prepare() places harness-exec in it once per container (helper_placer.hpp: copied in under a
//   hashed name in /tmp), or the channel keeps the POSIX sh protocol where it cannot.

#include <memory>
#include <string>
#include <vector>

#include "lib/sandbox/child.hpp"
#include "lib/sandbox/driver.hpp"
#include "lib/sandbox/exec_helper.hpp"
#include "lib/sandbox/helper_placer.hpp"

namespace harness::sandbox {

class PodmanDriver final : public Driver {
 public:
  // `exec_helper`: the host path of harness-exec to bind into per-leaf containers; "" for none.
  explicit PodmanDriver(model::SandboxProfile profile,
                        std::string exec_helper = exec_helper_path());
  ~PodmanDriver() override;
  void prepare(uv_loop_t* loop, const LeafContext& ctx, PrepareDone done) override;
  void finish(uv_loop_t* loop, std::function<void()> done) override;
  harness::Result<std::vector<std::string>> shell_argv(const LeafContext& ctx) const override;
  std::string workspace_path() const override;
  std::vector<std::string> launch_env(const model::SandboxProfile& profile) const override;
  ChannelProtocol channel_protocol() const override;
  std::string channel_note() const override;

  // The argv pieces, public for tests. BINARY GLOBAL_ARGS:
  std::vector<std::string> base_argv() const;
  // `run -d ... IMAGE sh -c LOOP` creating the per-leaf container (image mode).
  std::vector<std::string> create_argv(const LeafContext& ctx) const;
  // `rm -f harness-<leaf>` (image mode).
  std::vector<std::string> remove_argv(const std::string& leaf_id) const;
  // The container a leaf's shell runs in.
  std::string container_for(const std::string& leaf_id) const;
  // The existing container among the daemon's (HelperPlacements): the client, its global
  // arguments and the container's name.
  std::string placement_key() const;

 private:
  void step(std::vector<std::string> argv, std::string what,
            std::function<void(harness::Status)> next, std::vector<int> fds = {});
  // Existing container: the helper's placement, then the workspace copy (which checks that a
  // helper placed earlier is still there; if not it is placed again).
  void copy_into_container(const LeafContext& ctx, PrepareDone done);
  std::vector<std::string> exec_prefix() const;

  model::SandboxProfile m_profile;
  std::string m_exec_helper;
  uv_loop_t* m_loop = nullptr;
  std::string m_leaf_id;  // set by prepare()
  std::string m_host_workspace;
  bool m_finished = false;
  std::unique_ptr<ChildRun> m_child;
  std::unique_ptr<HelperPlacer> m_placer;  // existing container
  HelperDecision m_decision;               // existing container, once prepare() placed
};

}  // namespace harness::sandbox
