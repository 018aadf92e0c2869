#include "lib/daemon/accounts.hpp"

#include <unistd.h>

namespace harness::daemon {
namespace {

Error forbidden(std::string m) {
  return make_error(ErrorCode::forbidden, std::move(m));
}

const config::TokenGrant* grant_named(const config::Config& cfg, const std::string& name) {
  for (const auto& g : cfg.auth.tokens)
    if (g.name == name) return &g;
  return nullptr;
}

bool same_account(const std::optional<Account>& a, const std::optional<Account>& b) {
  if (!a || !b) return !a && !b;
  return a->uid == b->uid;
}

std::string shown(const std::optional<Account>& a) {
  return a ? a->name : "the daemon's own account";
}

// The account the caller has by itself: the socket peer, or the token's run_as.
Result<RunAsChoice> natural(const http::Request& req, const Caller& caller,
                            const config::Config& cfg, bool root) {
  RunAsChoice c;
  if (caller.who.transport == "tcp") {
    const auto* grant = grant_named(cfg, caller.who.name);
    if (!grant || grant->run_as.empty()) {
      c.fresh_only = "token '" + caller.who.name + "' has no run_as";
      return c;
    }
    if (!root) return c;
    auto a = account_by_name(grant->run_as);
    if (!a)
      return make_error(ErrorCode::invalid, "token '" + caller.who.name + "': run_as user '" +
                                                grant->run_as + "' does not exist");
    c.account = std::move(*a);
    return c;
  }
  if (!root) return c;
  if (!req.peer.known) return forbidden("cannot tell which account is calling (no SO_PEERCRED)");
  c.account = account_by_uid(req.peer.uid, req.peer.gid);
  return c;
}

}  // namespace

Result<RunAsChoice> choose_run_as(const http::Request& req, const Caller& caller,
                                  const std::string& requested, const config::Config& cfg,
                                  bool daemon_is_root) {
  HARNESS_TRY_ASSIGN(RunAsChoice c, natural(req, caller, cfg, daemon_is_root));
  if (requested.empty()) return c;
  auto wanted = account_by_name(requested);
  if (!wanted) return make_error(ErrorCode::invalid, "--run-as: no such user '" + requested + "'");
  if (!daemon_is_root) {
    if (wanted->uid == geteuid()) return c;
    return make_error(ErrorCode::invalid, "--run-as " + requested +
                                              ": this daemon is not root; it runs every leaf as "
                                              "its own account (" +
                                              current_account().name + ")");
  }
  if (!caller.has(Role::admin) && !(c.account && c.account->uid == wanted->uid))
    return forbidden("--run-as " + requested + " needs the admin role");
  c.account = std::move(*wanted);
  c.fresh_only.clear();
  c.requested = true;
  return c;
}

Status keep_session_account(RunAsChoice& choice, const model::Leaf& previous, bool admin,
                            const std::string& session) {
  if (same_account(choice.account, previous.spec.run_as)) return {};
  if (!admin)
    return forbidden("session " + session + " runs as " + shown(previous.spec.run_as) +
                     "; only an admin may continue it as " + shown(choice.account));
  if (!choice.requested) {
    choice.account = previous.spec.run_as;
    choice.fresh_only.clear();
  }
  return {};
}

}  // namespace harness::daemon
