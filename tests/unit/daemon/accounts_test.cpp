// Which account a leaf runs as: the socket peer's, a token's run_as, an admin's --run-as, and
// what a resumed session keeps. Pure decisions over NSS (root and nobody exist everywhere).
#include <doctest/doctest.h>

#include "lib/daemon/accounts.hpp"

namespace harness::daemon {
namespace {

constexpr std::uint32_t k_nobody = 65534;

http::Request unix_peer(std::uint32_t uid, std::uint32_t gid) {
  http::Request r;
  r.transport = "unix";
  r.peer.known = true;
  r.peer.uid = uid;
  r.peer.gid = gid;
  return r;
}

Caller caller(std::string transport, std::string name, std::set<Role> roles) {
  Caller c;
  c.who.transport = std::move(transport);
  c.who.name = std::move(name);
  c.roles = std::move(roles);
  c.authenticated = true;
  return c;
}

config::Config with_tokens() {
  config::Config cfg;
  cfg.auth.tokens.push_back({"ci", "", {"submit"}, "nobody"});
  cfg.auth.tokens.push_back({"bare", "", {"submit"}, ""});
  return cfg;
}

TEST_CASE("run-as: a root daemon runs a socket caller's leaf as that caller") {
  auto cfg = with_tokens();
  auto c = choose_run_as(unix_peer(k_nobody, k_nobody), caller("unix", "nobody", {Role::submit}),
                         "", cfg, true);
  REQUIRE(c.has_value());
  REQUIRE(c->account.has_value());
  CHECK(c->account->uid == k_nobody);
  CHECK(c->account->gid == k_nobody);
  CHECK(c->account->name == "nobody");
  CHECK(c->fresh_only.empty());
  // Not root: the daemon runs everything as itself.
  auto self =
      choose_run_as(unix_peer(k_nobody, k_nobody), caller("unix", "nobody", {}), "", cfg, false);
  REQUIRE(self.has_value());
  CHECK_FALSE(self->account.has_value());
  http::Request unknown;
  unknown.transport = "unix";
  CHECK(choose_run_as(unknown, caller("unix", "?", {}), "", cfg, true).error().code ==
        ErrorCode::forbidden);
}

TEST_CASE("run-as: tokens run as their run_as account, or only in fresh workspaces") {
  auto cfg = with_tokens();
  http::Request tcp;
  tcp.transport = "tcp";
  auto ci = choose_run_as(tcp, caller("tcp", "ci", {Role::submit}), "", cfg, true);
  REQUIRE(ci.has_value());
  CHECK(ci->account->uid == k_nobody);
  auto bare = choose_run_as(tcp, caller("tcp", "bare", {Role::submit}), "", cfg, true);
  REQUIRE(bare.has_value());
  CHECK_FALSE(bare->account.has_value());
  CHECK(bare->fresh_only == "token 'bare' has no run_as");
  cfg.auth.tokens[0].run_as = "no-such-user-hx";
  CHECK(choose_run_as(tcp, caller("tcp", "ci", {}), "", cfg, true).error().code ==
        ErrorCode::invalid);
}

TEST_CASE("run-as: --run-as is for admins, unless it names the caller's own account") {
  auto cfg = with_tokens();
  auto req = unix_peer(k_nobody, k_nobody);
  auto refused = choose_run_as(req, caller("unix", "nobody", {Role::submit}), "root", cfg, true);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == ErrorCode::forbidden);
  CHECK(refused.error().message == "--run-as root needs the admin role");
  CHECK(choose_run_as(req, caller("unix", "nobody", {Role::submit}), "nobody", cfg, true)
            .has_value());
  auto admin =
      choose_run_as(unix_peer(0, 0), caller("unix", "root", {Role::admin}), "nobody", cfg, true);
  REQUIRE(admin.has_value());
  CHECK(admin->account->uid == k_nobody);
  CHECK(admin->requested);
  CHECK(choose_run_as(req, caller("unix", "root", {Role::admin}), "no-such-user-hx", cfg, true)
            .error()
            .code == ErrorCode::invalid);
  CHECK(choose_run_as(req, caller("unix", "root", {Role::admin}), "nobody", cfg, false)
            .error()
            .code == ErrorCode::invalid);
}

TEST_CASE("run-as: a resumed session keeps its account; only an admin changes it") {
  model::Leaf prev;
  prev.spec.run_as = Account{k_nobody, k_nobody, {k_nobody}, "nobody"};
  RunAsChoice same{Account{k_nobody, k_nobody, {}, "nobody"}, "", false};
  CHECK(keep_session_account(same, prev, false, "ses_1").has_value());
  RunAsChoice other{Account{0, 0, {0}, "root"}, "", false};
  auto r = keep_session_account(other, prev, false, "ses_1");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(r.error().message == "session ses_1 runs as nobody; only an admin may continue it as root");
  REQUIRE(keep_session_account(other, prev, true, "ses_1").has_value());
  CHECK(other.account->uid == k_nobody);  // the admin named no one: the session's account
  RunAsChoice named{Account{0, 0, {0}, "root"}, "", true};
  REQUIRE(keep_session_account(named, prev, true, "ses_1").has_value());
  CHECK(named.account->uid == 0);
  RunAsChoice token{std::nullopt, "token 'bare' has no run_as", false};
  CHECK_FALSE(keep_session_account(token, prev, false, "ses_1").has_value());
}

}  // namespace
}  // namespace harness::daemon
