#pragma once
// Which account a submitted leaf runs as (SPEC §11; docs/security.md "What runs as whom"). A
// root daemon runs a leaf's tools, and its own file operations in the leaf's workspace, as the
// submitter's account: the socket peer's uid, gid and groups; for a TCP token its `run_as`
// account. An admin may name another account (--run-as). A daemon that is not root runs every
// leaf as itself. Pure decisions plus NSS lookups (cheap for local files, like identify()).

#include <optional>
#include <string>

#include "lib/base/account.hpp"
#include "lib/config/config.hpp"
#include "lib/daemon/identity.hpp"
#include "lib/http/server.hpp"
#include "lib/model/leaf.hpp"

namespace harness::daemon {

struct RunAsChoice {
  std::optional<Account> account;  // -> LeafSpec::run_as; none = the daemon's own account
  std::string fresh_only;          // non-empty: why this caller may only use fresh workspaces
  bool requested = false;          // the body named an account ("run_as")
};

// The account for a submit by `caller` (over `req`) naming `requested` ("" = none).
// forbidden when --run-as names another account and the caller is not admin, or the socket peer
// is unknown; invalid for an unknown account, or --run-as on a daemon that is not root
// (`daemon_is_root`) naming anyone but the daemon's own account.
Result<RunAsChoice> choose_run_as(const http::Request& req, const Caller& caller,
                                  const std::string& requested, const config::Config& cfg,
                                  bool daemon_is_root);

// Resume: a session keeps its account. A new leaf whose choice differs from `previous`'s is
// forbidden unless the caller is admin; an admin who named no account keeps the session's.
Status keep_session_account(RunAsChoice& choice, const model::Leaf& previous, bool admin,
                            const std::string& session);

}  // namespace harness::daemon
