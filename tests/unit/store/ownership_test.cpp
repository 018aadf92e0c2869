// Owners and per-owner idempotency keys (docs/security.md): part of the Store conformance
// suite, run against SQLite and Redis.
#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store;
using namespace harness::store::test;

namespace {

SubmitRequest request(std::string owner, std::string key, std::string hash,
                      std::string session = {}) {
  SubmitRequest req;
  req.leaf_id = new_id("lf_");
  req.resume = !session.empty();
  req.session_id = session.empty() ? new_id("ses_") : session;
  req.spec = spec("p");
  req.spec.owner = owner;
  req.spec.idempotency_key = std::move(key);
  req.idempotency_scope = std::move(owner);
  req.request_hash = std::move(hash);
  return req;
}

template <class F>
Result<SubmitResult> submit(F& f, SubmitRequest req) {
  return f.template wait<SubmitResult>([&](auto cb) { f.store->submit(std::move(req), cb); });
}

std::vector<std::string> ids(const LeafPage& page) {
  std::vector<std::string> out;
  for (const auto& l : page.leaves) out.push_back(l.id);
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE(
    "store: idempotency keys are per owner, and a new body under a key is a conflict", B,
    SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto alice = submit(f, request("uid:1001", "k-1", "h1"));
  REQUIRE(alice.has_value());
  auto bob = submit(f, request("uid:1002", "k-1", "h2"));
  REQUIRE(bob.has_value());
  CHECK(bob->created);
  CHECK(bob->leaf.id != alice->leaf.id);

  auto again = submit(f, request("uid:1001", "k-1", "h1"));
  REQUIRE(again.has_value());
  CHECK_FALSE(again->created);
  CHECK(again->leaf.id == alice->leaf.id);

  auto other = submit(f, request("uid:1001", "k-1", "h3"));
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().code == ErrorCode::conflict);
  CHECK(other.error().message.find(alice->leaf.id) != std::string::npos);
  auto page = f.list({});
  REQUIRE(page.has_value());
  CHECK(page->leaves.size() == 2);
}

TEST_CASE_TEMPLATE("store: a session keeps its owner; resumed leaves belong to it", B,
                   SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  auto first = submit(f, request("uid:1001", "", ""));
  REQUIRE(first.has_value());
  CHECK(first->leaf.spec.owner == "uid:1001");
  f.finish(first->leaf.id);
  // An admin resumes it: the leaf still belongs to the session's owner.
  auto second = submit(f, request("uid:0", "", "", first->leaf.session));
  REQUIRE(second.has_value());
  CHECK(second->leaf.spec.owner == "uid:1001");
  CHECK(second->event.data["owner"] == "uid:1001");
  auto ses = f.session(first->leaf.session);
  REQUIRE(ses.has_value());
  CHECK(ses->owner == "uid:1001");
}

TEST_CASE_TEMPLATE(
    "store: listing by owner pages without skipping, approvers also see gated leaves", B,
    SqliteBackend, RedisBackend) {
  HARNESS_SKIP_UNLESS_BACKEND(B);
  BasicStoreFixture<B> f;
  std::vector<std::string> mine;
  for (int i = 0; i < 5; ++i) {
    auto other = submit(f, request("uid:2", "", ""));
    REQUIRE(other.has_value());
    auto m = submit(f, request("uid:1", "", ""));
    REQUIRE(m.has_value());
    mine.insert(mine.begin(), m->leaf.id);  // newest first
  }
  LeafFilter filter;
  filter.owner = "uid:1";
  filter.limit = 2;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = f.list(filter);
    REQUIRE(page.has_value());
    CHECK(page->leaves.size() <= 2);
    for (auto& id : ids(*page)) seen.push_back(id);
    if (page->next_cursor.empty()) break;
    filter.cursor = page->next_cursor;
  }
  CHECK(seen == mine);

  auto gated = submit(f, request("uid:2", "", ""));
  REQUIRE(gated.has_value());
  REQUIRE(f.append(gated->leaf.id,
                   {draft("leaf_started"), draft("gate_opened", {{"gate", 1}, {"tool", "bash"}})})
              .has_value());
  LeafFilter approver;
  approver.owner = "uid:1";
  approver.or_gated = true;
  auto page = f.list(approver);
  REQUIRE(page.has_value());
  CHECK(page->leaves.size() == 6);
  CHECK(page->leaves.front().id == gated->leaf.id);
}
