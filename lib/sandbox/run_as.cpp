#include "lib/sandbox/run_as.hpp"

#include <unistd.h>

#include <set>

namespace harness::sandbox {

bool drops_privileges(const LeafContext& ctx) {
  return ctx.run_as && ctx.run_as->uid != 0 && geteuid() == 0;
}

std::vector<std::string> drop_argv(const LeafContext& ctx) {
  if (!drops_privileges(ctx)) return {};
  const Account& a = *ctx.run_as;
  std::string groups;
  for (auto g : a.groups) groups += (groups.empty() ? "" : ",") + std::to_string(g);
  return {"setpriv",
          "--reuid=" + std::to_string(a.uid),
          "--regid=" + std::to_string(a.gid),
          groups.empty() ? "--clear-groups" : "--groups=" + groups,
          "--inh-caps=-all",
          "--bounding-set=-all",
          "--"};
}

std::vector<std::string> exec_helper_drop_args(const LeafContext& ctx) {
  if (!drops_privileges(ctx)) return {};
  const Account& a = *ctx.run_as;
  std::string groups;
  for (auto g : a.groups) groups += (groups.empty() ? "" : ",") + std::to_string(g);
  return {"--drop", std::to_string(a.uid), std::to_string(a.gid), groups.empty() ? "-" : groups};
}

std::string uid_map(const Account& a) {
  return "0 0 1\n" + std::to_string(a.uid) + " " + std::to_string(a.uid) + " 1\n";
}

std::string gid_map(const Account& a) {
  std::set<std::uint32_t> gids(a.groups.begin(), a.groups.end());
  gids.insert(a.gid);
  gids.insert(0);
  std::string map;
  for (auto g : gids) map += std::to_string(g) + " " + std::to_string(g) + " 1\n";
  return map;
}

std::string userns_script(const LeafContext& ctx) {
  if (!drops_privileges(ctx)) return "";
  // printf's own escapes, so the maps stay on the script's lines.
  auto escaped = [](const std::string& map) {
    std::string out;
    for (char c : map) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    return out;
  };
  std::string uids = escaped(uid_map(*ctx.run_as));
  std::string gmap = escaped(gid_map(*ctx.run_as));
  // The helper enters its namespace right after it starts; the wait for that is a spin of a few
  // iterations. Once fd 5 holds the namespace the helper is not needed any more.
  return "__hm=$(readlink /proc/self/ns/user)\n"
         "unshare --user sleep 2147483647 </dev/null >/dev/null 2>&1 & __hp=$!\n"
         "while [ \"$(readlink /proc/$__hp/ns/user 2>/dev/null)\" = \"$__hm\" ]; do :; done\n"
         "if ! { printf '" +
         uids + "' >/proc/$__hp/uid_map && printf '" + gmap +
         "' >/proc/$__hp/gid_map; } 2>/dev/null; then\n"
         "  kill $__hp 2>/dev/null; echo \"cannot create the sandbox's user namespace\" >&2; exit "
         "97\n"
         "fi\n"
         "exec 5</proc/$__hp/ns/user\n"
         "kill $__hp; wait $__hp 2>/dev/null\n";
}

std::string user_spec(const Account& a) {
  return std::to_string(a.uid) + ":" + std::to_string(a.gid);
}

}  // namespace harness::sandbox
