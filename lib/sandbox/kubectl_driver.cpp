// Loop thread only: prepare() chains kubectl helpers and lease waits through loop callbacks.
#include "lib/sandbox/kubectl_driver.hpp"

#include <utility>

#include "lib/loop/defer.hpp"
#include "lib/sandbox/remote_shell.hpp"

namespace harness::sandbox {
namespace {

std::string timeout_arg(std::int64_t ms) {
  return "--request-timeout=" + std::to_string((ms + 999) / 1000) + "s";
}

// `-o name` prints "pod/NAME" per line.
std::vector<std::string> pod_names(const std::string& out) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto nl = out.find('\n', pos);
    std::string line = out.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? out.size() : nl + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.starts_with("pod/")) line.erase(0, 4);
    if (!line.empty()) names.push_back(line);
  }
  return names;
}

}  // namespace

KubectlDriver::KubectlDriver(model::SandboxProfile profile, PodLeases& leases)
    : m_profile(std::move(profile)), m_leases(leases), m_pod(m_profile.pod) {}

KubectlDriver::~KubectlDriver() {
  give_back();
}

std::vector<std::string> KubectlDriver::base_argv() const {
  std::vector<std::string> a{m_profile.binary.empty() ? "kubectl" : m_profile.binary};
  if (!m_profile.kubeconfig.empty()) a.insert(a.end(), {"--kubeconfig", m_profile.kubeconfig});
  if (!m_profile.context.empty()) a.insert(a.end(), {"--context", m_profile.context});
  a.insert(a.end(), {"-n", m_profile.kube_namespace});
  return a;
}

std::vector<std::string> KubectlDriver::exec_prefix(const std::string& pod) const {
  auto a = base_argv();
  a.insert(a.end(), {"exec", "-i", pod});
  if (!m_profile.container.empty()) a.insert(a.end(), {"-c", m_profile.container});
  a.insert(a.end(), {timeout_arg(m_profile.request_timeout_ms), "--"});
  return a;
}

std::vector<std::string> KubectlDriver::list_argv() const {
  auto a = base_argv();
  a.insert(a.end(),
           {"get", "pods", "-l", m_profile.selector, "--field-selector=status.phase=Running", "-o",
            "name", timeout_arg(m_profile.request_timeout_ms)});
  return a;
}

harness::Result<std::vector<std::string>> KubectlDriver::shell_argv(const LeafContext& ctx) const {
  if (m_pod.empty())
    return make_error(ErrorCode::unavailable, name() + ": no pod leased (prepare() first)");
  auto a = exec_prefix(m_pod);
  std::string helper = m_decision.protocol == ChannelProtocol::exec ? m_decision.path : "";
  HARNESS_TRY_ASSIGN(
      auto sh, remote_shell(ctx, "/workspace/" + ctx.leaf_id, sandbox_env(m_profile), helper));
  a.insert(a.end(), sh.begin(), sh.end());
  return a;
}

std::vector<std::string> KubectlDriver::launch_env(const model::SandboxProfile&) const {
  return client_env();
}

std::string KubectlDriver::pool() const {
  return m_profile.kubeconfig + "|" + m_profile.context + "|" + m_profile.kube_namespace;
}

std::string KubectlDriver::placement_key() const {
  return pool() + "|" + m_pod + "|" + m_profile.container;
}

std::string KubectlDriver::name() const {
  return "sandbox '" + m_profile.name + "' (kubectl)";
}

void KubectlDriver::prepare(uv_loop_t* loop, const LeafContext& ctx, PrepareDone done) {
  m_loop = loop;
  m_ctx = ctx;
  m_leaf_id = ctx.leaf_id;
  m_done = std::move(done);
  if (m_profile.selector.empty()) return place_helper();
  list_and_lease();
}

void KubectlDriver::list_and_lease() {
  m_child = std::make_unique<ChildRun>(m_loop);
  m_child->start(list_argv(), client_env(), [this](harness::Result<ChildResult> r) {
    loop::defer_destroy(m_loop, std::move(m_child));
    on_listed(std::move(r));
  });
}

void KubectlDriver::on_listed(harness::Result<ChildResult> r) {
  if (!r) return fail(make_error(ErrorCode::unavailable, name() + ": " + r.error().message));
  if (r->exit_code != 0) {
    return fail(
        make_error(ErrorCode::unavailable, name() + ": cannot list pods: " + failure_text(*r)));
  }
  auto pods = pod_names(r->out);
  if (pods.empty()) {
    return fail(make_error(ErrorCode::unavailable, name() + ": no running pod matches selector " +
                                                       m_profile.selector + " in namespace " +
                                                       m_profile.kube_namespace));
  }
  auto token = std::weak_ptr<int>(m_token);
  // A lease answered after the driver is gone (a store round trip) is given back at once.
  m_leases.lease(pool(), pods, m_profile.max_leaves_per_pod, m_leaf_id,
                 [this, token, &leases = m_leases, pool = pool(),
                  holder = m_leaf_id](harness::Result<std::optional<std::string>> pod) {
                   if (!token.expired()) return on_leased(std::move(pod));
                   if (pod && *pod) leases.release(pool, holder);
                 });
}

void KubectlDriver::on_leased(harness::Result<std::optional<std::string>> pod) {
  if (m_finished) {  // finish() came first
    if (pod && *pod) m_leases.release(pool(), m_leaf_id);
    return;
  }
  if (!pod)
    return fail(make_error(ErrorCode::unavailable,
                           name() + ": cannot lease a pod: " + pod.error().message));
  if (*pod) {
    m_pod = **pod;
    m_leased = true;
    return place_helper();
  }
  // Every pod is at the cap: queue for the next release, then list again (pods may have come
  // or gone meanwhile). The wake-up comes from inside release(): continue on a later turn.
  m_wait_id = m_leases.wait(pool(), [this] {
    m_wait_id = 0;
    auto token = std::weak_ptr<int>(m_token);
    loop::defer(m_loop, [this, token] {
      if (!token.expired()) list_and_lease();
    });
  });
}

void KubectlDriver::place_helper() {
  m_placer = std::make_unique<HelperPlacer>(HelperPlacements::process_wide(), placement_key(),
                                            "'" + m_profile.name + "' pod " + m_pod);
  m_placer->place(m_loop, exec_prefix(m_pod), [this](HelperDecision d) {
    m_decision = std::move(d);
    copy_in();
  });
}

// Also checks that a helper placed earlier is still there (a pod recreated under its name):
// if not, it is placed again.
void KubectlDriver::copy_in() {
  std::string helper = m_decision.protocol == ChannelProtocol::exec ? m_decision.path : "";
  m_child = std::make_unique<ChildRun>(m_loop);
  m_child->start(
      copy_in_argv(m_ctx, exec_prefix(m_pod), workspace_path(), helper), client_env(),
      [this](harness::Result<ChildResult> r) {
        loop::defer_destroy(m_loop, std::move(m_child));
        std::string what = name() + ": cannot copy the workspace into pod " + m_pod;
        if (!r) return fail(make_error(ErrorCode::unavailable, what + ": " + r.error().message));
        if (r->exit_code != 0)
          return fail(make_error(ErrorCode::unavailable, what + ": " + failure_text(*r)));
        if (r->out.find(k_helper_missing) != std::string::npos) {
          m_placer->forget();
          return m_placer->place(m_loop, exec_prefix(m_pod), [this](HelperDecision d) {
            m_decision = std::move(d);
            auto done = std::move(m_done);
            done({});
          });
        }
        auto done = std::move(m_done);
        done({});
      },
      copy_in_fds(m_ctx));
}

void KubectlDriver::fail(harness::Status st) {
  give_back();
  auto done = std::move(m_done);
  if (done) done(std::move(st));
}

void KubectlDriver::give_back() {
  if (m_wait_id) m_leases.cancel_wait(std::exchange(m_wait_id, 0));
  if (m_leased) {
    m_leased = false;
    m_leases.release(pool(), m_leaf_id);
  }
}

void KubectlDriver::finish(uv_loop_t*, std::function<void()> done) {
  m_finished = true;
  m_child.reset();
  m_placer.reset();
  give_back();
  done();
}

}  // namespace harness::sandbox
