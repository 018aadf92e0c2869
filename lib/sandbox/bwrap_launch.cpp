#include "lib/sandbox/bwrap_launch.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>

#include "lib/sandbox/run_as.hpp"

namespace harness::sandbox {
namespace {

std::string find_pids_cgroup_base() {
  if (geteuid() != 0) return "";
  if (access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) == 0) return "/sys/fs/cgroup/pids/harness";
  std::ifstream ctl("/sys/fs/cgroup/cgroup.subtree_control");
  std::string word;
  while (ctl >> word)
    if (word == "pids" && access("/sys/fs/cgroup", W_OK) == 0) return "/sys/fs/cgroup/harness";
  return "";
}

// The shell fallback's lines that move it (and so bwrap and everything in the sandbox) into a
// fresh pids cgroup before exec; retried when a sweep removed it between mkdir and the join.
std::string join_pids_cgroup(const std::string& base, std::int64_t pids_max) {
  if (base.empty() || pids_max <= 0) return "";
  return "PATH=/usr/sbin:/usr/bin:/sbin:/bin; b=" + base +
         "; c=$b/sbx-$$\n"
         "mkdir -p $b && { [ ! -e $b/cgroup.subtree_control ] || "
         "echo +pids >$b/cgroup.subtree_control; } 2>/dev/null\n"
         "n=0; until mkdir -p $c 2>/dev/null && echo " +
         std::to_string(pids_max) +
         " >$c/pids.max 2>/dev/null && echo $$ >$c/cgroup.procs 2>/dev/null; do\n"
         "  n=$((n+1)); [ $n -lt 5 ] || { echo \"cannot join the pids cgroup $c\" >&2; exit 97; }\n"
         "done\n";
}

// Reopens the inherited seccomp program (fd 4) with a read offset of its own and becomes bwrap
// ("$0" is bwrap, "$@" its arguments). Dropping privileges, bwrap starts inside the user
// namespace of userns_script() (fd 5, closed again before bwrap runs).
std::string exec_with_filter(bool drop) {
  std::string redirect = " 4</proc/self/fd/4";
  if (!drop) return "exec \"$0\" \"$@\"" + redirect;
  return "exec nsenter --user=/proc/self/fd/5 -- /bin/sh -c 'exec \"$0\" \"$@\" 5<&-' \"$0\" "
         "\"$@\"" +
         redirect;
}

}  // namespace

const std::string& pids_cgroup_base() {
  static const std::string base = find_pids_cgroup_base();
  return base;
}

void sweep_pids_cgroups(const std::string& base) {
  if (base.empty()) return;
  DIR* dir = opendir(base.c_str());
  if (!dir) return;
  while (dirent* e = readdir(dir)) {
    if (std::string_view(e->d_name).substr(0, 4) == "sbx-") rmdir((base + "/" + e->d_name).c_str());
  }
  closedir(dir);
}

std::vector<std::string> launch_argv(const std::string& launcher, const std::string& cgroup_base,
                                     std::int64_t pids_max, const LeafContext& ctx) {
  bool cgroup = !cgroup_base.empty() && pids_max > 0;
  bool drop = drops_privileges(ctx);
  if (launcher.empty())
    return {"/bin/sh", "-c",
            join_pids_cgroup(cgroup ? cgroup_base : "", pids_max) + userns_script(ctx) +
                exec_with_filter(drop)};
  std::vector<std::string> a{launcher, "--launch", "--new-session", "--reopen", "4"};
  if (cgroup) a.insert(a.end(), {"--cgroup", cgroup_base, "--pids-max", std::to_string(pids_max)});
  if (drop)
    a.insert(a.end(), {"--uid-map", uid_map(*ctx.run_as), "--gid-map", gid_map(*ctx.run_as)});
  a.push_back("--");
  return a;
}

}  // namespace harness::sandbox
