#include "lib/daemon/workdir_rules.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "lib/base/act_as.hpp"
#include "lib/base/unique_fd.hpp"

namespace harness::daemon {
namespace {

constexpr int k_max_links = 40;  // as the kernel's path walk
constexpr const char* k_rule = "a workdir must be a directory its account can write";

struct Walk {
  std::vector<std::string> names;  // the real path so far, one name per component
  std::vector<UniqueFd> dirs;      // O_PATH fd of each of those; the root below them
  UniqueFd root;
  int at() const { return dirs.empty() ? root.get() : dirs.back().get(); }
};

// Pushes the components of `path` onto `todo` so that the first is popped first.
void push_parts(std::vector<std::string>& todo, std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    if (slash != 0) parts.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  todo.insert(todo.end(), parts.rbegin(), parts.rend());
}

std::string joined(const Walk& w) {
  std::string out;
  for (const auto& n : w.names) out += "/" + n;
  return out.empty() ? "/" : out;
}

Error walk_error(int e, const std::string& workdir, const std::string& who) {
  if (e == ENOENT) return make_error(ErrorCode::invalid, "workdir " + workdir + " does not exist");
  if (e == ENOTDIR)
    return make_error(ErrorCode::invalid, "workdir " + workdir + " is not a directory");
  if (e == EACCES || e == EPERM)
    return make_error(ErrorCode::forbidden,
                      "workdir " + workdir + ": " + who + " cannot reach it (" + k_rule + ")");
  return make_error(ErrorCode::invalid, "workdir " + workdir + ": " + std::strerror(e));
}

// The real path of `workdir`, resolved with the calling thread's (ActAs) permissions.
Result<std::string> resolve(const std::string& workdir, const std::string& who) {
  Walk w;
  w.root.reset(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!w.root.valid()) return walk_error(errno, workdir, who);
  std::vector<std::string> todo;
  push_parts(todo, workdir);
  int links = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (name == ".") continue;
    if (name == "..") {
      if (!w.names.empty()) w.names.pop_back(), w.dirs.pop_back();
      continue;
    }
    UniqueFd fd(openat(w.at(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) return walk_error(errno, workdir, who);
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return walk_error(errno, workdir, who);
    if (S_ISLNK(st.st_mode)) {
      if (++links > k_max_links) return walk_error(ELOOP, workdir, who);
      char buf[PATH_MAX];
      ssize_t n = readlinkat(fd.get(), "", buf, sizeof buf);
      if (n < 0) return walk_error(errno, workdir, who);
      std::string_view target(buf, static_cast<size_t>(n));
      if (target.starts_with('/')) w.names.clear(), w.dirs.clear();
      push_parts(todo, target);
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return walk_error(ENOTDIR, workdir, who);
    w.names.push_back(std::move(name));
    w.dirs.push_back(std::move(fd));
  }
  return joined(w);
}

bool beneath(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  return path == root || (path.starts_with(root) && path[root.size()] == '/');
}

// A configured root as a real path (roots are the operator's, resolved with the daemon's rights).
std::string real_root(const std::string& root) {
  char* real = ::realpath(root.c_str(), nullptr);
  if (!real) return root;
  std::string out = real;
  std::free(real);
  return out;
}

Status check_roots(const std::string& real, const std::vector<std::string>& roots) {
  if (roots.empty()) return {};
  std::string list;
  for (const auto& r : roots) {
    if (beneath(real, real_root(r))) return {};
    list += (list.empty() ? "" : ", ") + r;
  }
  return make_error(ErrorCode::forbidden,
                    "workdir " + real + " is outside [auth] workdir_roots (" + list + ")");
}

}  // namespace

Result<std::string> check_workdir(const std::string& workdir, const std::optional<Account>& who,
                                  const std::vector<std::string>& roots) {
  std::string name = who ? who->name : current_account().name;
  if (workdir.empty() || workdir.front() != '/')
    return make_error(ErrorCode::invalid, "workdir '" + workdir + "' must be an absolute path");
  std::string real;
  {
    ActAs as(who);
    HARNESS_TRY(as.status());
    HARNESS_TRY_ASSIGN(real, resolve(workdir, name));
    // Under harnessd.service only the ReadWritePaths= roots are writable: say so, rather than
    // let every write of the leaf fail.
    if (struct statvfs fs{}; ::statvfs(real.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY))
      return make_error(ErrorCode::invalid,
                        "workdir " + real +
                            " is read-only for harnessd (a read-only mount; under harnessd.service "
                            "add it to ReadWritePaths=, see docs/operations.md)");
    // AT_EACCESS: the thread's own (ActAs) identity, ACLs and read-only mounts included.
    if (faccessat(AT_FDCWD, real.c_str(), W_OK | X_OK, AT_EACCESS) != 0)
      return make_error(ErrorCode::forbidden,
                        "workdir " + real + ": " + name + " may not write it (" + k_rule + ")");
  }
  HARNESS_TRY(check_roots(real, roots));
  return real;
}

Status apply_workdir_rules(SubmitPlan& plan, const std::vector<std::string>& roots) {
  auto& s = plan.spec;
  if (s.workdir.empty()) return {};
  if (!plan.fresh_only.empty())
    return make_error(
        ErrorCode::forbidden,
        plan.fresh_only + ": its leaves may only use fresh workspaces (no --workdir)");
  HARNESS_TRY_ASSIGN(s.workspace, check_workdir(s.workdir, s.run_as, roots));
  return {};
}

}  // namespace harness::daemon
