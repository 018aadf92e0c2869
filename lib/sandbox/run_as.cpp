#include "lib/sandbox/run_as.hpp"

#include <unistd.h>

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

std::string user_spec(const Account& a) {
  return std::to_string(a.uid) + ":" + std::to_string(a.gid);
}

}  // namespace harness::sandbox
