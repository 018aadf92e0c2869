#pragma once
// Plain data shared by the channel, its wire protocol and the tools. No I/O.

#include <cstdint>
#include <string>

namespace harness::sandbox {

// One command for the sandbox shell. `command` is POSIX sh text run as `sh FILE` in the workspace;
// `stdin_data` becomes its stdin (otherwise /dev/null). output_cap bounds each stream: beyond
// 2*cap bytes only the first and last cap bytes come back, joined by an elision marker.
struct ExecRequest {
  std::string command;
  std::string stdin_data;
  std::int64_t timeout_ms = 120'000;
  std::int64_t output_cap = 32 * 1024;
};

// What a command did. exit_code is its real status (128+N when killed by signal N).
struct ExecResult {
  int exit_code = 0;
  std::string out;
  std::string err;
  bool timed_out = false;
  bool truncated = false;        // out or err had bytes elided
  std::int64_t duration_ms = 0;  // daemon-side, from send to end marker
  std::int64_t out_bytes = 0;    // full sizes the command produced, before capping
  std::int64_t err_bytes = 0;
};

// How a channel talks to the process its driver starts: a POSIX shell fed sh text (protocol.hpp,
// works with any sh + busybox-level tools), or the harness-exec helper's binary frames
// (exec_protocol.hpp; no helper processes per command).
enum class ChannelProtocol { sh, exec };

// "sh" or "harness-exec", as doctor and the docs name them.
inline const char* protocol_name(ChannelProtocol p) {
  return p == ChannelProtocol::exec ? "harness-exec" : "sh";
}

// Resource limits and timings for one channel; 0 means "no limit".
struct ChannelLimits {
  std::string name = "sandbox";   // who failed in error messages, e.g. "sandbox 'default' (bwrap)"
  std::int64_t memory_mb = 0;     // ulimit -v for everything in the shell
  std::int64_t file_size_mb = 0;  // ulimit -f: also bounds captured output files
  std::int64_t cpu_seconds = 0;   // ulimit -t per process
  std::int64_t pids_max = 0;      // ulimit -u (skipped where the shell has no such option)
  std::int64_t kill_grace_ms = 2'000;         // in-sandbox TERM -> KILL delay on timeout
  std::int64_t backstop_grace_ms = 10'000;    // daemon deadline = timeout + kill grace + this
  std::string private_dir = "/tmp/.harness";  // parent of the channel's scratch dir
};

}  // namespace harness::sandbox
