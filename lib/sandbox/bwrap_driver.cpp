#include "lib/sandbox/bwrap_driver.hpp"

#include <sys/stat.h>
#include <unistd.h>

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

}  // namespace

BwrapDriver::BwrapDriver(model::SandboxProfile profile)
    : m_profile(std::move(profile)), m_root_args(root_layout_args()) {}

harness::Result<std::vector<std::string>> BwrapDriver::shell_argv(const LeafContext& ctx) const {
  if (ctx.workspace.empty() || ctx.workspace.front() != '/') {
    return make_error(ErrorCode::invalid,
                      "sandbox '" + m_profile.name + "': the workspace must be an absolute path");
  }
  std::vector<std::string> a{m_profile.binary.empty() ? "bwrap" : m_profile.binary};
  a.insert(a.end(), {"--unshare-all", "--unshare-user", "--disable-userns"});
  if (m_profile.network) a.push_back("--share-net");
  a.insert(a.end(), {"--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv"});
  for (const auto& kv : sandbox_env(m_profile)) {
    auto eq = kv.find('=');
    a.insert(a.end(), {"--setenv", kv.substr(0, eq), kv.substr(eq + 1)});
  }
  a.insert(a.end(), {"--ro-bind", "/usr", "/usr"});
  a.insert(a.end(), m_root_args.begin(), m_root_args.end());
  for (const char* f : k_etc_files) a.insert(a.end(), {"--ro-bind-try", f, f});
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"});
  a.insert(a.end(), {"--bind", ctx.workspace, workspace_path(), "--chdir", workspace_path()});
  // The root itself is bwrap's tmpfs: make it read-only so only /workspace and /tmp take writes.
  a.insert(a.end(), {"--remount-ro", "/", "--hostname", "sandbox", "/bin/sh"});
  return a;
}

}  // namespace harness::sandbox
