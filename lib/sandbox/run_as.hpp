#pragma once
// Dropping to the leaf's account (docs/security.md "What runs as whom"). A root daemon starts
// sandboxes and host-side helpers as root, and they drop to LeafContext::run_as before running
// anything of the leaf's: `setpriv` (util-linux) with the account's uid, gid and groups, no
// capabilities left in any set. Pure argv construction.

#include <string>
#include <vector>

#include "lib/sandbox/driver.hpp"

namespace harness::sandbox {

// Whether processes of this leaf must drop to another account: the daemon is root and the
// leaf runs as a non-root account.
bool drops_privileges(const LeafContext& ctx);

// `setpriv --reuid=U --regid=G --groups=G1,G2 --inh-caps=-all --bounding-set=-all --` to put
// before a command, or {} when drops_privileges(ctx) is false.
std::vector<std::string> drop_argv(const LeafContext& ctx);

// "U:G" and the supplementary groups, for a container runtime's --user / --group-add.
std::string user_spec(const Account& a);

}  // namespace harness::sandbox
