// Loop thread only: prepare() chains helper processes (ChildRun) through loop callbacks.
#include "lib/sandbox/podman_driver.hpp"

#include "lib/loop/defer.hpp"
#include "lib/sandbox/remote_shell.hpp"
#include "lib/sandbox/run_as.hpp"

namespace harness::sandbox {
namespace {

// PID 1 of the per-leaf container: sleeps forever but exits at once on TERM (sh as PID 1
// ignores TERM by default, which would make every `rm -f` wait out the stop timeout).
constexpr const char* k_idle = "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done";

}  // namespace

PodmanDriver::PodmanDriver(model::SandboxProfile profile, std::string exec_helper)
    : m_profile(std::move(profile)),
      m_exec_helper(m_profile.image.empty() ? "" : std::move(exec_helper)) {}

ChannelProtocol PodmanDriver::channel_protocol() const {
  if (m_profile.image.empty()) return m_decision.protocol;
  return m_exec_helper.empty() ? ChannelProtocol::sh : ChannelProtocol::exec;
}

std::string PodmanDriver::channel_note() const {
  if (m_profile.image.empty()) return m_decision.note;
  return m_exec_helper.empty() ? "sh: harness-exec is not installed beside harnessd"
                               : "harness-exec bound read-only";
}

std::string PodmanDriver::placement_key() const {
  std::string key;
  for (const auto& w : base_argv()) key += w + '\x1f';
  return key + m_profile.container;
}

std::vector<std::string> PodmanDriver::exec_prefix() const {
  auto a = base_argv();
  a.insert(a.end(), {"exec", "-i", m_profile.container});
  return a;
}

PodmanDriver::~PodmanDriver() {
  // A leaf that ended without finish() (daemon stopping) still must not leak its container.
  if (!m_profile.image.empty() && m_loop && !m_finished)
    run_detached(m_loop, remove_argv(m_leaf_id), client_env());
}

std::vector<std::string> PodmanDriver::base_argv() const {
  std::vector<std::string> a{m_profile.binary.empty() ? m_profile.driver : m_profile.binary};
  a.insert(a.end(), m_profile.global_args.begin(), m_profile.global_args.end());
  return a;
}

std::string PodmanDriver::container_for(const std::string& leaf_id) const {
  return m_profile.image.empty() ? m_profile.container : "harness-" + leaf_id;
}

std::vector<std::string> PodmanDriver::create_argv(const LeafContext& ctx) const {
  auto a = base_argv();
  // /tmp as podman mounts it by default (rw,nosuid,nodev), asking for 1777: the leaf's account
  // (--user) must be able to write it. runc gives the tmpfs the image's /tmp mode regardless.
  a.insert(a.end(), {"run", "-d", "--rm=false", "--name", container_for(ctx.leaf_id), "--label",
                     "harness.leaf=" + ctx.leaf_id, "--read-only", "--tmpfs",
                     "/tmp:rw,nosuid,nodev,mode=1777", "--cap-drop=ALL", "--security-opt",
                     "no-new-privileges"});
  if (!m_profile.network) a.insert(a.end(), {"--network", "none"});
  a.insert(a.end(), {"--pids-limit", std::to_string(m_profile.pids_max), "--memory",
                     std::to_string(m_profile.memory_mb) + "m"});
  // A root daemon runs the leaf's container as the leaf's account (over the profile's user).
  if (drops_privileges(ctx)) {
    a.insert(a.end(), {"--user", user_spec(*ctx.run_as)});
    for (auto g : ctx.run_as->groups)
      if (g != ctx.run_as->gid) a.insert(a.end(), {"--group-add", std::to_string(g)});
  } else if (!m_profile.user.empty()) {
    a.insert(a.end(), {"--user", m_profile.user});
  }
  a.insert(a.end(), {"-v", ctx.workspace + ":/workspace:rw", "-w", "/workspace"});
  if (!m_exec_helper.empty())
    a.insert(a.end(), {"-v", m_exec_helper + ":" + k_exec_helper_in_sandbox + ":ro"});
  a.insert(a.end(), m_profile.create_args.begin(), m_profile.create_args.end());
  a.insert(a.end(), {m_profile.image, "sh", "-c", k_idle});
  return a;
}

std::vector<std::string> PodmanDriver::remove_argv(const std::string& leaf_id) const {
  auto a = base_argv();
  a.insert(a.end(), {"rm", "-f", container_for(leaf_id)});
  return a;
}

std::string PodmanDriver::workspace_path() const {
  return m_profile.image.empty() ? "/workspace/" + m_leaf_id : "/workspace";
}

std::vector<std::string> PodmanDriver::launch_env(const model::SandboxProfile&) const {
  return client_env();
}

harness::Result<std::vector<std::string>> PodmanDriver::shell_argv(const LeafContext& ctx) const {
  auto a = base_argv();
  a.insert(a.end(), {"exec", "-i", container_for(ctx.leaf_id)});
  std::string workdir = m_profile.image.empty() ? "/workspace/" + ctx.leaf_id : "/workspace";
  std::string helper = !m_profile.image.empty()
                           ? (m_exec_helper.empty() ? "" : k_exec_helper_in_sandbox)
                           : (m_decision.protocol == ChannelProtocol::exec ? m_decision.path : "");
  HARNESS_TRY_ASSIGN(auto sh, remote_shell(ctx, workdir, sandbox_env(m_profile), helper));
  a.insert(a.end(), sh.begin(), sh.end());
  return a;
}

// Runs one helper; a failure becomes unavailable "WHAT: <the tool's own message>".
void PodmanDriver::step(std::vector<std::string> argv, std::string what,
                        std::function<void(harness::Status)> next, std::vector<int> fds) {
  m_child = std::make_unique<ChildRun>(m_loop);
  m_child->start(
      std::move(argv), client_env(),
      [this, what = std::move(what), next = std::move(next)](auto r) {
        loop::defer_destroy(m_loop, std::move(m_child));
        if (!r) return next(make_error(ErrorCode::unavailable, what + ": " + r.error().message));
        if (r->exit_code != 0)
          return next(make_error(ErrorCode::unavailable, what + ": " + failure_text(*r)));
        next({});
      },
      std::move(fds));
}

void PodmanDriver::prepare(uv_loop_t* loop, const LeafContext& ctx, PrepareDone done) {
  m_loop = loop;
  m_leaf_id = ctx.leaf_id;
  m_host_workspace = ctx.workspace;
  std::string name = "sandbox '" + m_profile.name + "' (" + m_profile.driver + ")";
  if (m_profile.image.empty()) {
    m_placer =
        std::make_unique<HelperPlacer>(HelperPlacements::process_wide(), placement_key(),
                                       "'" + m_profile.name + "' container " + m_profile.container);
    return m_placer->place(loop, exec_prefix(),
                           [this, ctx, done = std::move(done)](HelperDecision d) mutable {
                             m_decision = std::move(d);
                             copy_into_container(ctx, std::move(done));
                           });
  }
  // A container left by a crashed daemon for this leaf is replaced (its workspace is the host's).
  auto create = [this, ctx, name, done = std::move(done)](harness::Status) mutable {
    step(create_argv(ctx), name + ": cannot create a container from image " + m_profile.image,
         std::move(done));
  };
  step(remove_argv(ctx.leaf_id), "", std::move(create));
}

void PodmanDriver::copy_into_container(const LeafContext& ctx, PrepareDone done) {
  std::string what = "sandbox '" + m_profile.name + "' (" + m_profile.driver +
                     "): cannot copy the workspace into container " + m_profile.container;
  std::string helper = m_decision.protocol == ChannelProtocol::exec ? m_decision.path : "";
  m_child = std::make_unique<ChildRun>(m_loop);
  m_child->start(
      copy_in_argv(ctx, exec_prefix(), workspace_path(), helper), client_env(),
      [this, what = std::move(what), done = std::move(done)](auto r) mutable {
        loop::defer_destroy(m_loop, std::move(m_child));
        if (!r) return done(make_error(ErrorCode::unavailable, what + ": " + r.error().message));
        if (r->exit_code != 0)
          return done(make_error(ErrorCode::unavailable, what + ": " + failure_text(*r)));
        if (r->out.find(k_helper_missing) == std::string::npos) return done({});
        // The helper placed earlier is gone (the container was recreated): place it again.
        m_placer->forget();
        m_placer->place(m_loop, exec_prefix(),
                        [this, done = std::move(done)](HelperDecision d) mutable {
                          m_decision = std::move(d);
                          done({});
                        });
      },
      copy_in_fds(ctx));
}

void PodmanDriver::finish(uv_loop_t* loop, std::function<void()> done) {
  if (!m_profile.image.empty() && m_loop && !m_finished)
    run_detached(loop, remove_argv(m_leaf_id), client_env());
  m_finished = true;
  m_child.reset();
  m_placer.reset();
  done();
}

}  // namespace harness::sandbox
