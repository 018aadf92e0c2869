#pragma once
// Placing harness-exec into a container the daemon does not create (podman/docker `container`,
// kubectl pods): the helper is copied in once per container under a name keyed by its content
// hash, and every leaf there then speaks the exec protocol; where it cannot be placed (another
// architecture, a read-only or noexec /tmp, no sh) the container keeps the POSIX sh protocol.
// This file is the pure part: naming, the scripts run inside, reading their answers, and the
// daemon's per-container decisions (HelperPlacements). The process runs are helper_placer.hpp.
// Loop thread only (HelperPlacements); helper_identity() any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "lib/sandbox/exec.hpp"

namespace harness::sandbox {

// What a channel into one sandbox speaks, and how that came about (shown by `doctor`).
struct HelperDecision {
  ChannelProtocol protocol = ChannelProtocol::sh;
  std::string path;  // harness-exec inside the sandbox (exec only)
  std::string note;  // "copied in at PATH", "sh: <why the helper is not used>"
};

// The host's harness-exec as the container drivers copy it in.
struct HelperIdentity {
  std::string host_path;
  std::uint64_t size = 0;
  std::string sha256_hex;
  std::string in_container;  // hashed_helper_path(k_helper_dir, sha256_hex)
  std::string version_line;  // what `harness-exec --version` prints, without the newline
  std::string arch;          // `uname -m` of the machine it runs on
};

// Where copied helpers go inside a container: /tmp exists and is writable almost everywhere.
inline constexpr const char* k_helper_dir = "/tmp";

// DIR/.harness-exec-<first 16 hex digits of the binary's SHA-256>.
std::string hashed_helper_path(std::string_view dir, std::string_view sha256_hex);
// `uname -m` of the architecture this daemon (and so harness-exec) was built for.
std::string build_arch();
// The identity of exec_helper_path(), read and hashed once; nullopt when the helper is not
// built/installed or cannot be read.
const std::optional<HelperIdentity>& helper_identity();

// `sh -c PROBE sh PATH SIZE VERSION ARCH`, after an exec prefix: prints "arch X" when the
// container's `uname -m` is another, else "present" when PATH is a regular file of ours (owned by
// the exec user) of SIZE bytes whose --version prints VERSION, else "absent". Runs nothing it has
// not checked the architecture of.
std::vector<std::string> probe_command(const HelperIdentity& id);
// `sh -c INSTALL sh PATH VERSION`, after an exec prefix, with the binary on stdin: writes it to
// a temporary beside PATH (umask 077, noclobber), chmod 0755, renames it to PATH, runs
// `PATH --version` and prints "placed". Any failure removes what it wrote and exits non-zero
// with the reason on stderr.
std::vector<std::string> install_command(const HelperIdentity& id);
// `sh -c WRITE_CHECK sh PATH`, after an exec prefix, without stdin: creates and removes a
// temporary beside PATH, so a failure says on stderr why PATH cannot be written. An exec client
// whose command fails while it still sends stdin may drop that command's stderr (podman exec -i
// does, about one time in twenty), so a failed install that said nothing is asked again this way.
std::vector<std::string> write_check_command(const HelperIdentity& id);

enum class ProbeAnswer { present, absent, other_arch, unreadable };
struct ProbeReading {
  ProbeAnswer answer = ProbeAnswer::unreadable;
  std::string arch;  // other_arch: the container's
};
ProbeReading read_probe(std::string_view out);

// The daemon's decisions, per container ("podman|--runtime runc|sandbox-0", "kubectl|...|pod"),
// so the probe and the copy run once per container, not per leaf. One placer works on a key at
// a time (begin); others wait for its settle() or abandon(). A decision stays until forget()
// (its helper vanished: the container was recreated) or the daemon restarts.
class HelperPlacements {
 public:
  static HelperPlacements& process_wide();

  const HelperDecision* find(const std::string& key) const;
  bool busy(const std::string& key) const { return m_busy.count(key) != 0; }
  void begin(const std::string& key) { m_busy.insert(key); }
  // Stores the decision and wakes the waiters of `key`.
  void settle(const std::string& key, HelperDecision d);
  // The placer gave up without deciding (its leaf ended): wakes the waiters, one of them places.
  void abandon(const std::string& key);
  void forget(const std::string& key) { m_decisions.erase(key); }
  // Calls `wake` once, at the next settle/abandon of `key`. Returns an id for cancel_wait().
  std::uint64_t wait(const std::string& key, std::function<void()> wake);
  void cancel_wait(std::uint64_t id) { m_waiters.erase(id); }
  std::size_t waiting() const { return m_waiters.size(); }

 private:
  void wake(const std::string& key);
  struct Waiter {
    std::string key;
    std::function<void()> wake;
  };
  std::map<std::string, HelperDecision> m_decisions;
  std::set<std::string> m_busy;
  std::map<std::uint64_t, Waiter> m_waiters;
  std::uint64_t m_next_wait = 1;
};

}  // namespace harness::sandbox
