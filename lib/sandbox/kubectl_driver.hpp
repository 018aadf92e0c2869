#pragma once
// The kubectl driver: `kubectl exec -i` into a pod named by `pod`, or leased from the pods a
// label `selector` matches (at most max_leaves_per_pod leaves per pod; a leaf finding every
// pod at the cap waits for a lease, first come first served). Each leaf works in
// /workspace/<leaf id> inside the pod; prepare() places harness-exec in the pod once per pod
// (helper_placer.hpp; else the channel speaks the POSIX sh protocol) and copies the host
// workspace in. Outputs are not copied back (see README "Sandbox drivers").

#include <memory>
#include <string>
#include <vector>

#include "lib/sandbox/child.hpp"
#include "lib/sandbox/driver.hpp"
#include "lib/sandbox/helper_placer.hpp"
#include "lib/sandbox/lease.hpp"

namespace harness::sandbox {

class KubectlDriver final : public Driver {
 public:
  // `leases` must outlive the driver.
  KubectlDriver(model::SandboxProfile profile, PodLeases& leases);
  ~KubectlDriver() override;
  void prepare(uv_loop_t* loop, const LeafContext& ctx, PrepareDone done) override;
  void finish(uv_loop_t* loop, std::function<void()> done) override;
  harness::Result<std::vector<std::string>> shell_argv(const LeafContext& ctx) const override;
  std::string workspace_path() const override { return "/workspace/" + m_leaf_id; }
  std::vector<std::string> launch_env(const model::SandboxProfile& profile) const override;
  ChannelProtocol channel_protocol() const override { return m_decision.protocol; }
  std::string channel_note() const override { return m_decision.note; }

  // The argv pieces, public for tests. BINARY [--kubeconfig K] [--context C] -n NS:
  std::vector<std::string> base_argv() const;
  // base exec -i POD [-c CONTAINER] --request-timeout=T --
  std::vector<std::string> exec_prefix(const std::string& pod) const;
  // base get pods -l SEL --field-selector=status.phase=Running -o name --request-timeout=T
  std::vector<std::string> list_argv() const;
  // The pod this leaf uses: `pod`, or the leased one once prepare() succeeded.
  const std::string& pod() const { return m_pod; }
  // The pod among the daemon's (HelperPlacements): kubeconfig, context, namespace, pod, container.
  std::string placement_key() const;

 private:
  void list_and_lease();
  void on_listed(harness::Result<ChildResult> r);
  void on_leased(harness::Result<std::optional<std::string>> pod);
  void place_helper();
  void copy_in();
  void fail(harness::Status st);
  void give_back();
  std::string pool() const;
  std::string name() const;

  model::SandboxProfile m_profile;
  PodLeases& m_leases;
  uv_loop_t* m_loop = nullptr;
  LeafContext m_ctx;
  std::string m_leaf_id;
  std::string m_pod;
  bool m_leased = false;
  bool m_finished = false;
  std::uint64_t m_wait_id = 0;
  PrepareDone m_done;
  std::unique_ptr<ChildRun> m_child;
  std::unique_ptr<HelperPlacer> m_placer;
  HelperDecision m_decision;
  std::shared_ptr<int> m_token = std::make_shared<int>(0);  // expires with the driver
};

}  // namespace harness::sandbox
