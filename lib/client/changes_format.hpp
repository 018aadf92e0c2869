#pragma once
// The files a leaf created or changed in its workspace (the workspace_changes event, docs/api.md)
// as the lines that end `run` and `logs`:
//   3 files changed in the workspace (+ created, ~ modified):
//     + new.txt (6 B)
//     ~ src/a.c (1.2 kB)
//     … and 1 more
// Pure; lenient about the JSON like format.hpp.

#include <string>

#include "lib/client/format.hpp"

namespace harness::client {

// The lines for a workspace_changes event's data (each ending in '\n'); "" when it lists no file.
// At most `max_files` file lines, then "… and N more". Control characters in names show as '?'.
std::string format_workspace_changes(const Json& data, const Style& st, size_t max_files = 20);

// 6 -> "6 B", 1234 -> "1.2 kB", 5'300'000 -> "5.3 MB" (powers of 1000).
std::string format_size(std::int64_t bytes);

}  // namespace harness::client
