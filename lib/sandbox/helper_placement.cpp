#include "lib/sandbox/helper_placement.hpp"

#include <sys/utsname.h>

#include <fstream>
#include <iterator>

#include "lib/base/sha256.hpp"
#include "lib/sandbox/exec_helper.hpp"
#include "lib/sandbox/exec_wire.h"

namespace harness::sandbox {
namespace {

// $1 path, $2 size, $3 version line, $4 arch. The architecture is checked before the file is
// run: a shell given a binary of another machine may read it as a script. `wc -c` pads with
// spaces in some implementations: $s stays unquoted. -O: a file another user of the container
// planted there is not ours to run.
constexpr const char* k_probe = R"SH(a=$(uname -m 2>/dev/null) || a=unknown
[ "$a" = "$4" ] || { echo "arch $a"; exit 0; }
if [ -f "$1" ] && [ ! -h "$1" ] && [ -O "$1" ] && s=$(wc -c <"$1" 2>/dev/null) && [ $s = "$2" ] &&
   [ "$("$1" --version 2>/dev/null)" = "$3" ]; then echo present; else echo absent; fi)SH";

// $1 path, $2 version line; the binary on stdin.
constexpr const char* k_install = R"SH(umask 077; set -C; t="$1.tmp.$$"
cat >"$t" && chmod 0755 "$t" && mv -f "$t" "$1" || { rm -f "$t"; exit 1; }
v=$("$1" --version 2>&1) && [ "$v" = "$2" ] || { rm -f "$1"; echo "it does not run there: $v" >&2; exit 1; }
echo placed)SH";

// $1 path.
constexpr const char* k_write_check = R"SH(umask 077; set -C; t="$1.tmp.$$"
: >"$t" && rm -f "$t")SH";

std::optional<HelperIdentity> identify() {
  const std::string& path = exec_helper_path();
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return std::nullopt;
  if (bytes.empty()) return std::nullopt;
  HelperIdentity id;
  id.host_path = path;
  id.size = bytes.size();
  id.sha256_hex = sha256_hex(bytes);
  id.in_container = hashed_helper_path(k_helper_dir, id.sha256_hex);
  id.version_line = "harness-exec protocol " + std::to_string(HX_VERSION);
  id.arch = build_arch();
  return id;
}

}  // namespace

std::string hashed_helper_path(std::string_view dir, std::string_view sha256_hex) {
  std::string d(dir);
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (d == "/") d.clear();
  return d + "/.harness-exec-" + std::string(sha256_hex.substr(0, 16));
}

std::string build_arch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#else
  struct utsname u {};
  return uname(&u) == 0 ? std::string(u.machine) : std::string();
#endif
}

const std::optional<HelperIdentity>& helper_identity() {
  static const std::optional<HelperIdentity> id = identify();
  return id;
}

std::vector<std::string> probe_command(const HelperIdentity& id) {
  return {"sh",   "-c", k_probe, "sh", id.in_container, std::to_string(id.size), id.version_line,
          id.arch};
}

std::vector<std::string> install_command(const HelperIdentity& id) {
  return {"sh", "-c", k_install, "sh", id.in_container, id.version_line};
}

std::vector<std::string> write_check_command(const HelperIdentity& id) {
  return {"sh", "-c", k_write_check, "sh", id.in_container};
}

ProbeReading read_probe(std::string_view out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.remove_suffix(1);
  if (out.find('\n') != std::string_view::npos) return {};
  if (out == "present") return {ProbeAnswer::present, ""};
  if (out == "absent") return {ProbeAnswer::absent, ""};
  if (out.starts_with("arch ")) return {ProbeAnswer::other_arch, std::string(out.substr(5))};
  return {};
}

HelperPlacements& HelperPlacements::process_wide() {
  static HelperPlacements table;
  return table;
}

const HelperDecision* HelperPlacements::find(const std::string& key) const {
  auto it = m_decisions.find(key);
  return it == m_decisions.end() ? nullptr : &it->second;
}

void HelperPlacements::settle(const std::string& key, HelperDecision d) {
  m_decisions[key] = std::move(d);
  wake(key);
}

void HelperPlacements::abandon(const std::string& key) {
  wake(key);
}

std::uint64_t HelperPlacements::wait(const std::string& key, std::function<void()> wake) {
  std::uint64_t id = m_next_wait++;
  m_waiters.emplace(id, Waiter{key, std::move(wake)});
  return id;
}

// Waiters are taken out before any is called: a wake-up may wait again or cancel others.
void HelperPlacements::wake(const std::string& key) {
  m_busy.erase(key);
  std::vector<std::function<void()>> woken;
  for (auto it = m_waiters.begin(); it != m_waiters.end();) {
    if (it->second.key != key) {
      ++it;
      continue;
    }
    woken.push_back(std::move(it->second.wake));
    it = m_waiters.erase(it);
  }
  for (auto& w : woken) w();
}

}  // namespace harness::sandbox
