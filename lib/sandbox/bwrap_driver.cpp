#include "lib/sandbox/bwrap_driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "lib/sandbox/bwrap_launch.hpp"
#include "lib/sandbox/run_as.hpp"
#include "lib/sandbox/seccomp.hpp"

namespace harness::sandbox {
namespace {

// Read-only host files a shell and common tools expect; missing ones are skipped (-try).
constexpr const char* k_etc_files[] = {
    "/etc/alternatives", "/etc/passwd",        "/etc/group", "/etc/hosts",
    "/etc/resolv.conf",  "/etc/nsswitch.conf", "/etc/ssl",   "/etc/ca-certificates",
    "/etc/ld.so.cache",  "/etc/localtime",
};

// Merged-/usr systems have /bin -> usr/bin etc.; older ones have real directories.
std::vector<std::string> root_layout_args() {
  std::vector<std::string> args;
  for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    struct stat st {};
    if (lstat(dir, &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      ssize_t n = readlink(dir, target, sizeof(target) - 1);
      if (n <= 0) continue;
      args.insert(args.end(), {"--symlink", std::string(target, static_cast<size_t>(n)), dir});
    } else if (S_ISDIR(st.st_mode)) {
      args.insert(args.end(), {"--ro-bind", dir, dir});
    }
  }
  return args;
}

// The namespaces. Dropping to the leaf's account, bwrap runs as root of a user namespace made for
// it (userns_script: root and the account mapped to themselves) and makes no other one; the
// seccomp filter refuses nested ones (--disable-userns needs --unshare-user). Otherwise bwrap
// maps the daemon's uid into a new user namespace of its own.
void add_namespaces(std::vector<std::string>& a, bool drop, bool network) {
  if (drop) {
    a.insert(a.end(), {"--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"});
    if (!network) a.push_back("--unshare-net");
  } else {
    a.insert(a.end(), {"--unshare-all", "--unshare-user", "--disable-userns"});
    if (network) a.push_back("--share-net");
  }
}

}  // namespace

harness::Result<std::string> find_bwrap(const model::SandboxProfile& profile) {
  std::string name = profile.binary.empty() ? "bwrap" : profile.binary;
  auto missing = [&](const std::string& where) -> harness::Result<std::string> {
    return make_error(ErrorCode::unavailable,
                      "bwrap not found (" + where +
                          "): install bubblewrap (apt-get install bubblewrap) or set "
                          "sandboxes." +
                          profile.name + ".binary");
  };
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) == 0) return name;
    return missing(name + ": no such file or directory");
  }
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    std::string full = (dir.empty() ? "." : dir) + "/" + name;
    if (access(full.c_str(), X_OK) == 0) return full;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return missing("'" + name + "' is not on PATH");
}

std::vector<int> BwrapDriver::inherited_fds(const LeafContext& ctx) const {
  auto filter = seccomp::filter_fd();
  return {ctx.workspace_fd, filter ? *filter : -1};
}

BwrapDriver::BwrapDriver(model::SandboxProfile profile, std::string exec_helper,
                         std::string launcher)
    : m_profile(std::move(profile)),
      m_root_args(root_layout_args()),
      m_exec_helper(std::move(exec_helper)),
      m_launcher(std::move(launcher)) {}

harness::Result<std::vector<std::string>> BwrapDriver::shell_argv(const LeafContext& ctx) const {
  if (ctx.workspace.empty() || ctx.workspace.front() != '/') {
    return make_error(ErrorCode::invalid,
                      "sandbox '" + m_profile.name + "': the workspace must be an absolute path");
  }
  HARNESS_TRY_ASSIGN(std::string bwrap, find_bwrap(m_profile));
  HARNESS_TRY(seccomp::filter_fd());
  const std::string& cgroup_base = pids_cgroup_base();
  if (m_profile.pids_max > 0) sweep_pids_cgroups(cgroup_base);
  // The launcher inherits the workspace (if any) as fd 3 and the filter as fd 4 (inherited_fds)
  // and becomes bwrap (bwrap_launch.hpp).
  bool by_fd = ctx.workspace_fd >= 0;
  auto drop = drop_argv(ctx);
  auto a = launch_argv(m_launcher, cgroup_base, m_profile.pids_max, ctx);
  a.push_back(bwrap);
  add_namespaces(a, !drop.empty(), m_profile.network);
  a.insert(a.end(), {"--seccomp", "4", "--die-with-parent"});
  if (!launch_sets_session(m_launcher)) a.push_back("--new-session");
  a.insert(a.end(), {"--cap-drop", "ALL", "--clearenv"});
  // setpriv or harness-exec --drop needs these to drop to the account; it leaves no capability
  // in any set.
  if (!drop.empty())
    a.insert(a.end(),
             {"--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"});
  for (const auto& kv : sandbox_env(m_profile)) {
    auto eq = kv.find('=');
    a.insert(a.end(), {"--setenv", kv.substr(0, eq), kv.substr(eq + 1)});
  }
  a.insert(a.end(), {"--ro-bind", "/usr", "/usr"});
  a.insert(a.end(), m_root_args.begin(), m_root_args.end());
  for (const char* f : k_etc_files) a.insert(a.end(), {"--ro-bind-try", f, f});
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev"});
  // tmpfs lives in memory: bounded, so /tmp cannot take the host's RAM. Room for a file of the
  // maximal size plus the channel's capture of a maximal stdout (in /tmp/.harness) and slack.
  // The channel's capture files (ChannelLimits::private_dir, /tmp/.harness) get a tmpfs of
  // their own, so a command that fills /tmp cannot also swallow its own output and exit status.
  // Without a user namespace the tmpfs belong to host root: world-writable and sticky, as /tmp.
  for (const char* tmp : {"/tmp", "/tmp/.harness", "/dev/shm"}) {
    if (m_profile.file_size_mb > 0)
      a.insert(a.end(), {"--size", std::to_string((2 * m_profile.file_size_mb + 16) << 20)});
    if (!drop.empty()) a.insert(a.end(), {"--perms", "1777"});
    a.insert(a.end(), {"--tmpfs", tmp});
  }
  // --bind-fd binds the directory the daemon opened without following symlinks, and fails if
  // the path no longer leads to it.
  if (by_fd)
    a.insert(a.end(), {"--bind-fd", "3", workspace_path()});
  else
    a.insert(a.end(), {"--bind", ctx.workspace, workspace_path()});
  // Dropping: bwrap, root without CAP_DAC_*, may not enter the account's 0700 workspace, so the
  // speaker enters it once it is the account.
  a.insert(a.end(), {"--chdir", drop.empty() ? workspace_path() : "/"});
  // The channel's helper, read-only in the root tmpfs (so before that turns read-only).
  // bwrap makes missing parents 0700: an account the sandbox drops to could not reach it.
  if (!m_exec_helper.empty())
    a.insert(a.end(), {"--perms", "0755", "--dir", "/run", "--perms", "0755", "--dir",
                       "/run/harness", "--ro-bind", m_exec_helper, k_exec_helper_in_sandbox});
  // The root itself is bwrap's tmpfs: make it read-only so only /workspace and /tmp take writes.
  a.insert(a.end(), {"--remount-ro", "/", "--remount-ro", "/dev", "--hostname", "sandbox"});
  // What speaks the channel: harness-exec, or a POSIX shell. When dropping, harness-exec becomes
  // the account before it reads a byte, the shell starts only after setpriv's account change:
  // neither ever runs a command as root.
  std::string speaker = m_exec_helper.empty() ? "/bin/sh" : k_exec_helper_in_sandbox;
  // harness-exec drops to the account itself (as setpriv would, without its exec), then enters
  // the workspace; the shell of the sh protocol is started by setpriv.
  if (!drop.empty() && !m_exec_helper.empty()) {
    a.push_back(speaker);
    auto own = exec_helper_drop_args(ctx);
    a.insert(a.end(), own.begin(), own.end());
    a.insert(a.end(), {"--chdir", workspace_path()});
    return a;
  }
  a.insert(a.end(), drop.begin(), drop.end());
  if (!drop.empty())
    a.insert(a.end(),
             {"/bin/sh", "-c",
              "cd " + workspace_path() +
                  " || { echo \"cannot enter the workspace\" >&2; exit 97; }; exec " + speaker});
  else
    a.push_back(speaker);
  return a;
}

}  // namespace harness::sandbox
