#pragma once
// The files beneath a directory that changed since a point in time: a bounded, depth-first walk
// in path order through directory fds opened O_NOFOLLOW, one name from readdir at a time, so it
// never follows a symlink (a symlink is reported as itself), never leaves the directory and
// never crosses into another filesystem. Blocking: call off the event loop.

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/result.hpp"

namespace harness {

// created: born (statx birth time) at or after `since`; modified: born before, content changed
// since; changed: the birth time is unknown on this filesystem, or only metadata (mode, owner,
// a rename: ctime) changed.
enum class FileChange { created, modified, changed };
std::string_view to_string(FileChange c);

struct RecentFile {
  std::string path;  // relative to the directory, '/'-separated
  FileChange change = FileChange::changed;
  bool symlink = false;   // a symlink (not followed); else a regular file
  std::int64_t size = 0;  // bytes; for a symlink the length of its target
};

struct RecentFilesLimits {
  size_t max_visited = 10'000;         // directory entries looked at, over the whole walk
  int max_depth = 32;                  // directories below the top one
  size_t max_listed = 100;             // RecentFiles::files
  std::vector<std::string> skip_dirs;  // names of directories never entered, at any depth
};

struct RecentFiles {
  std::vector<RecentFile> files;  // the first max_listed found, in path order
  size_t count = 0;               // changed entries found (>= files.size())
  bool walk_stopped = false;      // a limit (entries, depth) cut the walk: count is a floor
  bool truncated() const { return walk_stopped || count > files.size(); }
};

// Regular files and symlinks beneath the directory `dirfd` whose mtime or ctime is at or after
// `since_ms` (epoch ms). Directories are not listed; a subdirectory that cannot be opened (no
// permission) is skipped. internal when `dirfd` itself cannot be read.
Result<RecentFiles> find_recent_files(int dirfd, std::int64_t since_ms,
                                      const RecentFilesLimits& limits);

}  // namespace harness
