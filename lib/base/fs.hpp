#pragma once
// Small blocking file helpers. Blocking: call them off the event loop, or only at startup.
// Errors name the file and errno's text; the code is not_found for a missing file, unavailable
// for a full or failing disk (ENOSPC, EDQUOT, EIO, EROFS: it may pass), internal otherwise.

#include <string>

#include "lib/base/result.hpp"

namespace harness {

// The whole file; not_found when missing, too_large when bigger than max_bytes.
Result<std::string> read_file(const std::string& path, size_t max_bytes = 64u << 20);
// Writes to a temp file beside `path`, fsyncs, renames over `path`, fsyncs the directory:
// readers see the old or the new content, never a torn file.
Status write_file_atomic(const std::string& path, const std::string& data, int mode = 0644);
// mkdir -p with `mode` for created directories.
Status make_dirs(const std::string& path, int mode = 0755);

}  // namespace harness
