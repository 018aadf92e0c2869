#include "lib/base/recent_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "lib/base/unique_fd.hpp"

namespace harness {
namespace {

constexpr unsigned k_statx_mask =
    STATX_TYPE | STATX_MODE | STATX_MTIME | STATX_CTIME | STATX_SIZE | STATX_BTIME;

std::int64_t ms_of(const statx_timestamp& t) {
  return static_cast<std::int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1'000'000;
}

// The names in the directory `dirfd` (without . and ..), at most `budget`, sorted. A fresh open
// of "." so the caller's fd keeps its own offset.
Result<std::vector<std::string>> names_in(int dirfd, size_t budget, bool& cut) {
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return make_error(ErrorCode::internal, std::string("cannot open: ") + strerror(errno));
  DIR* dir = fdopendir(fd);
  if (!dir) {
    close(fd);
    return make_error(ErrorCode::internal, std::string("cannot read: ") + strerror(errno));
  }
  std::vector<std::string> names;
  while (const dirent* d = readdir(dir)) {
    std::string_view n = d->d_name;
    if (n == "." || n == "..") continue;
    if (names.size() == budget) {
      cut = true;
      break;
    }
    names.emplace_back(n);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

class Walker {
 public:
  Walker(std::int64_t since, const RecentFilesLimits& lim) : m_since(since), m_lim(lim) {}

  Status walk(int dirfd, const std::string& prefix, int depth, std::uint64_t dev) {
    size_t budget = m_lim.max_visited - std::min(m_visited, m_lim.max_visited);
    bool cut = false;
    HARNESS_TRY_ASSIGN(auto names, names_in(dirfd, budget, cut));
    if (cut) m_out.walk_stopped = true;
    for (const auto& name : names) {
      // Names were read within the budget, but subdirectories before this one spent it too.
      if (m_visited >= m_lim.max_visited) {
        m_out.walk_stopped = true;
        break;
      }
      ++m_visited;
      struct statx st {};
      if (statx(dirfd, name.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, k_statx_mask, &st) != 0)
        continue;  // gone meanwhile
      std::string path = prefix.empty() ? name : prefix + "/" + name;
      if (S_ISDIR(st.stx_mode)) {
        enter(dirfd, name, path, depth, dev, st);
      } else if (S_ISREG(st.stx_mode) || S_ISLNK(st.stx_mode)) {
        consider(std::move(path), st);
      }
    }
    return {};
  }

  RecentFiles take() { return std::move(m_out); }

 private:
  void enter(int dirfd, const std::string& name, const std::string& path, int depth,
             std::uint64_t dev, const struct statx& st) {
    if (std::find(m_lim.skip_dirs.begin(), m_lim.skip_dirs.end(), name) != m_lim.skip_dirs.end())
      return;
    if ((std::uint64_t{st.stx_dev_major} << 32 | st.stx_dev_minor) != dev) return;
    if (depth >= m_lim.max_depth) {
      m_out.walk_stopped = true;
      return;
    }
    UniqueFd sub(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) return;  // no permission, or replaced by a symlink meanwhile
    (void)walk(sub.get(), path, depth + 1, dev);
  }

  void consider(std::string path, const struct statx& st) {
    std::int64_t mtime = ms_of(st.stx_mtime), ctime = ms_of(st.stx_ctime);
    if (mtime < m_since && ctime < m_since) return;
    ++m_out.count;
    if (m_out.files.size() >= m_lim.max_listed) return;
    RecentFile f{std::move(path), FileChange::changed, S_ISLNK(st.stx_mode),
                 static_cast<std::int64_t>(st.stx_size)};
    bool born_known = (st.stx_mask & STATX_BTIME) && st.stx_btime.tv_sec != 0;
    if (born_known && ms_of(st.stx_btime) >= m_since)
      f.change = FileChange::created;
    else if (born_known && mtime >= m_since)
      f.change = FileChange::modified;
    m_out.files.push_back(std::move(f));
  }

  std::int64_t m_since;
  const RecentFilesLimits& m_lim;
  size_t m_visited = 0;
  RecentFiles m_out;
};

}  // namespace

std::string_view to_string(FileChange c) {
  switch (c) {
    case FileChange::created:
      return "created";
    case FileChange::modified:
      return "modified";
    case FileChange::changed:
      break;
  }
  return "changed";
}

Result<RecentFiles> find_recent_files(int dirfd, std::int64_t since_ms,
                                      const RecentFilesLimits& limits) {
  struct statx st {};
  if (statx(dirfd, "", AT_EMPTY_PATH, STATX_TYPE, &st) != 0)
    return make_error(ErrorCode::internal, std::string("cannot stat: ") + strerror(errno));
  Walker w(since_ms, limits);
  HARNESS_TRY(w.walk(dirfd, "", 0, std::uint64_t{st.stx_dev_major} << 32 | st.stx_dev_minor));
  return w.take();
}

}  // namespace harness
