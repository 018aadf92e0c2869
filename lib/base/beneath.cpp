#include "lib/base/beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

namespace harness {
namespace {

std::atomic<bool> g_force_walk{false};
std::atomic<bool> g_no_openat2{false};  // the kernel answered ENOSYS once
std::atomic<unsigned> g_tmp_serial{0};

constexpr size_t k_max_target_shown = 256;

using Parts = std::vector<std::string>;

Parts split(std::string_view norm) {
  Parts out;
  while (!norm.empty()) {
    auto slash = norm.find('/');
    out.emplace_back(norm.substr(0, slash));
    if (slash == std::string_view::npos) break;
    norm.remove_prefix(slash + 1);
  }
  return out;
}

std::string join(const Parts& parts, size_t n) {
  std::string out;
  for (size_t i = 0; i < n && i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

// A symlink's target as shown in a message: it was written by whoever made the link (the
// sandbox), so it is capped and control bytes become '?'.
std::string shown_target(std::string_view t) {
  std::string out;
  for (char c : t.substr(0, k_max_target_shown))
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  if (t.size() > k_max_target_shown) out += "...";
  return out;
}

Error sys_error(int e, const std::string& what, const std::string& path) {
  ErrorCode code = e == ENOENT                 ? ErrorCode::not_found
                   : e == EACCES || e == EPERM ? ErrorCode::forbidden
                                               : ErrorCode::internal;
  return make_error(code, what + " " + path + ": " + std::strerror(e));
}

// Why resolving `parts` beneath `dirfd` failed with errno `e`: the first symlink on the way if
// there is one (the usual reason), else the system error. `prefix` is "" or "/" for messages.
Error explain(int dirfd, const Parts& parts, int e, const std::string& prefix) {
  UniqueFd holder;
  int cur = dirfd;
  for (size_t i = 0; i < parts.size(); ++i) {
    struct stat st {};
    if (fstatat(cur, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) break;
    std::string shown = prefix + join(parts, i + 1);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      ssize_t n = readlinkat(cur, parts[i].c_str(), buf, sizeof buf);
      std::string target = n >= 0 ? shown_target({buf, static_cast<size_t>(n)}) : "?";
      return make_error(ErrorCode::forbidden,
                        shown + " is a symlink to " + target + "; not followed");
    }
    if (i + 1 == parts.size()) break;
    if (!S_ISDIR(st.st_mode)) return make_error(ErrorCode::invalid, shown + " is not a directory");
    int fd = openat(cur, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) break;
    holder.reset(fd);
    cur = fd;
  }
  std::string whole = prefix + join(parts, parts.size());
  return sys_error(e, "cannot open", whole.empty() ? "." : whole);
}

// O_PATH | O_NOFOLLOW hands out the link itself instead of failing: refuse it the same way.
Result<UniqueFd> not_a_link(UniqueFd fd, int dirfd, const Parts& parts, const std::string& prefix) {
  struct stat st {};
  if (fstat(fd.get(), &st) == 0 && S_ISLNK(st.st_mode)) return explain(dirfd, parts, ELOOP, prefix);
  return fd;
}

Result<UniqueFd> walk(int dirfd, const Parts& parts, int flags, unsigned mode,
                      const std::string& prefix) {
  if (parts.empty()) {
    int fd = openat(dirfd, ".", flags, mode);
    if (fd < 0) return explain(dirfd, parts, errno, prefix);
    return UniqueFd(fd);
  }
  UniqueFd holder;
  int cur = dirfd;
  for (size_t i = 0; i < parts.size(); ++i) {
    bool last = i + 1 == parts.size();
    const char* name = parts[i].c_str();
    int fd = last ? openat(cur, name, flags, mode)
                  : openat(cur, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return explain(dirfd, parts, errno, prefix);
    if (last) return not_a_link(UniqueFd(fd), dirfd, parts, prefix);
    holder.reset(fd);
    cur = fd;
  }
  return explain(dirfd, parts, ENOENT, prefix);
}

Result<UniqueFd> resolve(int dirfd, const Parts& parts, int flags, unsigned mode,
                         const std::string& prefix) {
  flags |= O_CLOEXEC | O_NOFOLLOW;
  if (!g_force_walk && !g_no_openat2) {
    std::string path = parts.empty() ? "." : join(parts, parts.size());
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return not_a_link(UniqueFd(static_cast<int>(fd)), dirfd, parts, prefix);
    if (errno != ENOSYS) return explain(dirfd, parts, errno, prefix);
    g_no_openat2 = true;
  }
  return walk(dirfd, parts, flags, mode, prefix);
}

Status write_all(int fd, std::string_view data, const std::string& rel) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(errno, "cannot write", rel);
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return sys_error(errno, "cannot sync", rel);
  return {};
}

}  // namespace

namespace detail {
void force_component_walk(bool on) {
  g_force_walk = on;
}
}  // namespace detail

Result<std::string> normalize_beneath(std::string_view rel) {
  if (!rel.empty() && rel.front() == '/')
    return make_error(ErrorCode::forbidden, std::string(rel) + " is not a relative path");
  Parts out;
  for (auto& part : split(rel)) {
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      out.push_back(std::move(part));
      continue;
    }
    if (out.empty())
      return make_error(ErrorCode::forbidden, std::string(rel) + " leaves the directory");
    out.pop_back();
  }
  return join(out, out.size());
}

Result<UniqueFd> open_beneath(int dirfd, std::string_view rel, int flags, unsigned mode) {
  HARNESS_TRY_ASSIGN(std::string norm, normalize_beneath(rel));
  return resolve(dirfd, split(norm), flags, mode, "");
}

Result<UniqueFd> open_dir_no_symlinks(const std::string& path) {
  if (path.empty() || path.front() != '/')
    return make_error(ErrorCode::invalid, "'" + path + "' is not an absolute path");
  HARNESS_TRY_ASSIGN(std::string norm, normalize_beneath(std::string_view(path).substr(1)));
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root.valid()) return sys_error(errno, "cannot open", "/");
  return resolve(root.get(), split(norm), O_RDONLY | O_DIRECTORY, 0, "/");
}

Result<std::string> read_file_beneath(int dirfd, std::string_view rel, size_t max_bytes) {
  HARNESS_TRY_ASSIGN(UniqueFd fd, open_beneath(dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return sys_error(errno, "cannot stat", std::string(rel));
  if (!S_ISREG(st.st_mode))
    return make_error(ErrorCode::invalid, std::string(rel) + " is not a regular file");
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(errno, "cannot read", std::string(rel));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes)
      return make_error(ErrorCode::too_large, std::string(rel) + " is larger than " +
                                                  std::to_string(max_bytes) + " bytes");
  }
}

Result<UniqueFd> make_dirs_beneath(int dirfd, std::string_view rel, unsigned mode) {
  HARNESS_TRY_ASSIGN(std::string norm, normalize_beneath(rel));
  Parts parts = split(norm);
  UniqueFd holder;
  int cur = dirfd;
  for (size_t i = 0; i < parts.size(); ++i) {
    const char* name = parts[i].c_str();
    if (mkdirat(cur, name, mode) != 0 && errno != EEXIST)
      return sys_error(errno, "cannot create directory", join(parts, i + 1));
    bool last = i + 1 == parts.size();
    int flags = (last ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(cur, name, flags);
    if (fd < 0) {
      Parts upto(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(i + 1));
      return explain(dirfd, upto, errno, "");
    }
    holder.reset(fd);
    cur = fd;
  }
  if (parts.empty()) return resolve(dirfd, parts, O_RDONLY | O_DIRECTORY, 0, "");
  return holder;
}

Status write_file_beneath(int dirfd, std::string_view rel, std::string_view data, unsigned mode) {
  HARNESS_TRY_ASSIGN(std::string norm, normalize_beneath(rel));
  if (norm.empty())
    return make_error(ErrorCode::invalid, "no file name in '" + std::string(rel) + "'");
  auto slash = norm.rfind('/');
  std::string parent = slash == std::string::npos ? "" : norm.substr(0, slash);
  std::string name = slash == std::string::npos ? norm : norm.substr(slash + 1);
  HARNESS_TRY_ASSIGN(UniqueFd dir, make_dirs_beneath(dirfd, parent));
  std::string tmp =
      ".harness-tmp-" + std::to_string(getpid()) + "-" + std::to_string(++g_tmp_serial);
  UniqueFd fd(
      openat(dir.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return sys_error(errno, "cannot create", norm);
  Status written = write_all(fd.get(), data, norm);
  fd.reset();
  if (written && renameat(dir.get(), tmp.c_str(), dir.get(), name.c_str()) != 0)
    written = sys_error(errno, "cannot write", norm);
  if (!written) {
    unlinkat(dir.get(), tmp.c_str(), 0);
    return written;
  }
  ::fsync(dir.get());
  return {};
}

}  // namespace harness
