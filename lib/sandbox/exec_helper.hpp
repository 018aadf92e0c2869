#pragma once
// harness-exec, the channel's helper inside a sandbox (apps/harness-exec): where the daemon
// finds the binary on its host. Any thread (the lookup runs once).

#include <string>

namespace harness::sandbox {

// Absolute path of an executable harness-exec, or "" when there is none (channels then speak
// the POSIX sh protocol). Looked up once: beside this executable as installed
// (<dir>/../libexec/harness/harness-exec), then in the build tree that built it.
const std::string& exec_helper_path();

// Where a driver that binds the helper into its sandbox puts it (inside the sandbox's own root).
inline constexpr const char* k_exec_helper_in_sandbox = "/run/harness/exec";

}  // namespace harness::sandbox
