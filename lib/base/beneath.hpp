#pragma once
// File operations confined beneath a directory fd, never through a symlink (STYLE "Boundaries":
// every file the daemon touches inside a workspace). Paths resolve with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), or, where the kernel has no openat2, with an
// O_NOFOLLOW walk one component at a time. A symlink anywhere on the path is refused with
// forbidden "P is a symlink to TARGET; not followed" (P relative to the directory), never read
// through. Blocking: call these off the event loop.

#include <string>
#include <string_view>

#include "lib/base/result.hpp"
#include "lib/base/unique_fd.hpp"

namespace harness {

// `rel` made canonical: "" or "." is the directory itself, "a/./b//c" is "a/b/c", "a/../b" is "b".
// forbidden for an absolute path or a ".." that leaves the directory. Pure.
Result<std::string> normalize_beneath(std::string_view rel);

// Opens `rel` beneath the directory `dirfd` with open(2) `flags` (O_CLOEXEC and O_NOFOLLOW are
// added) and `mode` (used with O_CREAT). not_found when a component is missing; forbidden for a
// symlink or an escape; internal for other system errors, naming the path.
Result<UniqueFd> open_beneath(int dirfd, std::string_view rel, int flags, unsigned mode = 0);

// Opens the absolute directory `path` (O_RDONLY | O_DIRECTORY) without following any symlink on
// the way; refused like open_beneath, with the absolute path in messages.
Result<UniqueFd> open_dir_no_symlinks(const std::string& path);

// The regular file `rel` beneath `dirfd`, at most `max_bytes` (too_large beyond). invalid when it
// is not a regular file (a fifo is opened non-blocking, so it can never hang the caller).
Result<std::string> read_file_beneath(int dirfd, std::string_view rel, size_t max_bytes);

// mkdir -p of `rel` beneath `dirfd` (created directories get `mode`); returns the last
// directory opened O_RDONLY | O_DIRECTORY. An existing symlink on the way is refused.
Result<UniqueFd> make_dirs_beneath(int dirfd, std::string_view rel, unsigned mode = 0755);

// Writes `data` to `rel` beneath `dirfd` atomically: a fresh temp file in the same directory
// (O_EXCL), fsync, renameat over `rel`, fsync of the directory. Missing parents are created
// (0755). A symlink at `rel` itself is replaced, not written through; one among the parents is
// refused.
Status write_file_beneath(int dirfd, std::string_view rel, std::string_view data,
                          unsigned mode = 0644);

namespace detail {
// Tests: resolve with the O_NOFOLLOW walk even where openat2 exists.
void force_component_walk(bool on);
}  // namespace detail

}  // namespace harness
