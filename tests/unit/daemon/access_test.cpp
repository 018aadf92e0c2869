// Who may read, resume and list what (lib/daemon/access.hpp, docs/security.md).
#include "lib/daemon/access.hpp"

#include <doctest/doctest.h>

#include "lib/model/policy.hpp"

namespace harness::daemon {
namespace {

Caller unix_user(std::string name, unsigned uid, std::set<Role> roles,
                 std::vector<std::string> groups = {}) {
  Caller c;
  c.who.name = std::move(name);
  c.who.uid = uid;
  c.who.groups = std::move(groups);
  c.who.transport = "unix";
  c.roles = std::move(roles);
  c.authenticated = true;
  return c;
}

model::Leaf leaf_of(const Caller& owner, int gates = 0, model::Json policy = nullptr) {
  model::Leaf l;
  l.id = "lf_1";
  l.session = "ses_1";
  l.spec.owner = owner.owner();
  l.spec.submitted_by = owner.to_json();
  l.spec.policy = std::move(policy);
  l.gates = gates;
  return l;
}

}  // namespace

TEST_CASE("access: owners are uids over the socket and token names over TCP") {
  CHECK(unix_user("alice", 1001, {}).owner() == "uid:1001");
  Caller token;
  token.who.name = "ci";
  token.who.transport = "tcp";
  CHECK(token.owner() == "token:ci");
}

TEST_CASE("access: a leaf is read by its owner, readers and admins, not by other submitters") {
  Caller alice = unix_user("alice", 1001, {Role::submit});
  Caller bob = unix_user("bob", 1002, {Role::submit});
  Caller admin = unix_user("root", 0, {Role::admin});
  Caller auditor = unix_user("carol", 1003, {Role::read});
  model::Leaf leaf = leaf_of(alice);
  CHECK(may_read(alice, leaf));
  CHECK(may_read(admin, leaf));
  CHECK(may_read(auditor, leaf));
  Status refused = may_read(bob, leaf);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::forbidden);
  CHECK(refused.error().message.find("bob may not read lf_1") != std::string::npos);
  // A leaf of an old store without an owner: only readers and admins.
  leaf.spec.owner.clear();
  CHECK_FALSE(may_read(alice, leaf));
  CHECK(may_read(admin, leaf));
}

TEST_CASE("access: approvers read the leaves whose gates they may decide") {
  Caller alice = unix_user("alice", 1001, {Role::submit});
  Caller dave = unix_user("dave", 1004, {Role::approve}, {"approvers"});
  Caller erin = unix_user("erin", 1005, {Role::approve}, {"ops"});
  model::Policy p;
  p.name = "gated";
  p.approvers = {"group:approvers"};
  model::Json policy = model::to_json(p);
  CHECK_FALSE(may_read(dave, leaf_of(alice, 0, policy)));  // no gate yet
  CHECK(may_read(dave, leaf_of(alice, 1, policy)));
  CHECK_FALSE(may_read(erin, leaf_of(alice, 1, policy)));  // not an approver of this policy
}

TEST_CASE("access: resume is for the session's owner and admins") {
  Caller alice = unix_user("alice", 1001, {Role::submit});
  Caller bob = unix_user("bob", 1002, {Role::submit});
  Caller admin = unix_user("root", 0, {Role::admin});
  model::Session s;
  s.id = "ses_1";
  s.owner = alice.owner();
  CHECK(may_resume(alice, s));
  CHECK(may_resume(admin, s));
  Status refused = may_resume(bob, s);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::forbidden);
  CHECK(refused.error().message.find("only its owner or an admin") != std::string::npos);
}

TEST_CASE("access: listings are narrowed in the store unless the caller reads everything") {
  store::LeafFilter f;
  restrict_listing(unix_user("root", 0, {Role::admin}), f);
  CHECK_FALSE(f.owner.has_value());
  restrict_listing(unix_user("carol", 1003, {Role::read}), f);
  CHECK_FALSE(f.owner.has_value());
  restrict_listing(unix_user("alice", 1001, {Role::submit}), f);
  CHECK(f.owner == "uid:1001");
  CHECK_FALSE(f.or_gated);
  store::LeafFilter g;
  restrict_listing(unix_user("dave", 1004, {Role::submit, Role::approve}), g);
  CHECK(g.owner == "uid:1004");
  CHECK(g.or_gated);
}

}  // namespace harness::daemon

namespace harness::daemon {
TEST_CASE("access: the metrics role alone reads no leaf and counts as no role for the API") {
  Caller scraper = unix_user("prometheus", 1004, {Role::metrics});
  CHECK(scraper.has(Role::metrics));
  CHECK_FALSE(scraper.has_any());
  CHECK_FALSE(scraper.has(Role::read));
  CHECK_FALSE(may_read(scraper, leaf_of(unix_user("alice", 1001, {Role::submit}))));
  // An admin may scrape; a reader with metrics too is still a reader.
  CHECK(unix_user("root", 0, {Role::admin}).has(Role::metrics));
  CHECK(unix_user("carol", 1003, {Role::read, Role::metrics}).has_any());
}
}  // namespace harness::daemon
