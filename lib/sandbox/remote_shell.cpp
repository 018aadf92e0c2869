#include "lib/sandbox/remote_shell.hpp"

#include "lib/sandbox/run_as.hpp"

namespace harness::sandbox {
namespace {

// $1 leaf id, $2 workdir, $3 the helper or "", then NAME=VALUE. The marker path is assembled at run
// time, so this shell's own command line never contains it and it does not kill itself. Killing by
// group
// (-PID) reaches a command's children; by PID the watchdogs and stragglers.
constexpr const char* k_prelude = R"SH(__h_m="/tmp/.harness/$1/"; __h_w=$2; __h_x=$3; shift 3
for __h_p in /proc/[0-9]*; do
  __h_p=${__h_p#/proc/}
  [ "$__h_p" = "$$" ] && continue
  case "$(tr '\0' ' ' <"/proc/$__h_p/cmdline" 2>/dev/null)" in
    *"$__h_m"*) kill -KILL "-$__h_p" "$__h_p" 2>/dev/null ;;
  esac
done
mkdir -p "$__h_w" && cd "$__h_w" || { echo "cannot enter the workspace $__h_w" >&2; exit 97; }
[ -z "$__h_x" ] || exec env -i "$@" "$__h_x" "$__h_m"
exec env -i "$@" sh)SH";

std::string single_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool safe_id(const std::string& s) {
  return !s.empty() && s.find_first_not_of(
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789_-") == std::string::npos;
}

}  // namespace

harness::Result<std::vector<std::string>> remote_shell(const LeafContext& ctx,
                                                       const std::string& workdir,
                                                       const std::vector<std::string>& env,
                                                       const std::string& helper) {
  if (!safe_id(ctx.leaf_id))
    return make_error(ErrorCode::invalid, "leaf id '" + ctx.leaf_id + "' is not [A-Za-z0-9_-]+");
  std::vector<std::string> a{"sh", "-c", k_prelude, "sh", ctx.leaf_id, workdir, helper};
  a.insert(a.end(), env.begin(), env.end());
  return a;
}

std::vector<std::string> copy_in_argv(const LeafContext& ctx,
                                      const std::vector<std::string>& exec_prefix,
                                      const std::string& workdir, const std::string& helper) {
  std::string drop;
  for (const auto& word : drop_argv(ctx)) drop += single_quoted(word) + " ";
  std::string from = ctx.workspace_fd >= 0 ? "/proc/self/fd/3" : ctx.workspace;
  std::vector<std::string> a{"sh", "-c", "cd -- \"$0\" && " + drop + "tar -cf - . | \"$@\"", from};
  a.insert(a.end(), exec_prefix.begin(), exec_prefix.end());
  std::string unpack = "mkdir -p \"$1\" && tar -xf - -C \"$1\"";
  if (helper.empty()) {
    a.insert(a.end(), {"sh", "-c", unpack, "sh", workdir});
    return a;
  }
  unpack += " && { [ -f \"$2\" ] && [ -x \"$2\" ] || echo " + std::string(k_helper_missing) + "; }";
  a.insert(a.end(), {"sh", "-c", unpack, "sh", workdir, helper});
  return a;
}

std::vector<int> copy_in_fds(const LeafContext& ctx) {
  if (ctx.workspace_fd < 0) return {};
  return {ctx.workspace_fd};
}

}  // namespace harness::sandbox
