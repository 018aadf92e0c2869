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

// The same drop done by harness-exec itself in a bwrap sandbox, without setpriv's exec:
// `--drop UID GID G1,G2` ("-" for no groups), or {} when drops_privileges(ctx) is false.
std::vector<std::string> exec_helper_drop_args(const LeafContext& ctx);

// The id maps of the user namespace a root daemon makes for bwrap when it drops privileges
// (bwrap_launch.hpp), one "INSIDE OUTSIDE 1\n" line per id: uid 0 and the account's uid; gid 0,
// the account's gid and groups — each mapped to itself. Inside it bwrap is root over its own
// namespaces and mounts without CAP_SYS_ADMIN on the host, which harnessd.service withholds;
// writing the maps needs CAP_SETUID, CAP_SETGID and (for uid 0) CAP_SETFCAP.
std::string uid_map(const Account& a);
std::string gid_map(const Account& a);

// The same namespace made by shell lines, for the launcher's fallback when harness-exec is not
// built: create it (a helper `unshare --user sleep`), write the maps and open it as fd 5 for
// `nsenter --user=/proc/self/fd/5`. Exits 97 with a message when the namespace cannot be made.
// "" when drops_privileges(ctx) is false.
std::string userns_script(const LeafContext& ctx);

// "U:G" and the supplementary groups, for a container runtime's --user / --group-add.
std::string user_spec(const Account& a);

}  // namespace harness::sandbox
