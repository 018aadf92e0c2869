// The Journal redacts events before the store, the listeners and the caller see them.
#include "lib/agent/journal.hpp"

#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store::test;

TEST_CASE("journal: secrets are redacted before anything is written or published") {
  StoreFixture f;
  auto r = model::Redactor::make({{{"canary-0123456789", "env:CANARY"}}, nullptr, "", {}});
  REQUIRE(r.has_value());
  agent::Journal journal(*f.store, &*r);
  std::vector<model::Event> published;
  journal.set_listener([&](const model::Leaf&, const std::vector<model::Event>& evs) {
    published.insert(published.end(), evs.begin(), evs.end());
  });
  model::Leaf leaf = f.leaf("p");
  model::Json data{{"output", "key canary-0123456789 and AKIAIOSFODNN7EXAMPLE"},
                   {"input", {{"command", "echo canary-0123456789"}}}};
  auto appended = f.wait<store::AppendResult>([&](auto cb) {
    journal.append(leaf.id, {{"leaf_started", {}}, {"tool_finished", data}}, cb);
  });
  REQUIRE(appended.has_value());
  const std::string want = "key [REDACTED:env:CANARY] and [REDACTED:aws_access_key_id]";
  CHECK(appended->events[1].data["output"] == want);
  REQUIRE(published.size() == 2);
  CHECK(published[1].data["input"]["command"] == "echo [REDACTED:env:CANARY]");
  auto stored = f.events(leaf.session);
  REQUIRE(stored.has_value());
  REQUIRE(stored->size() == 3);
  CHECK((*stored)[2].data["output"] == want);
  CHECK((*stored)[2].data.dump().find("canary-0123456789") == std::string::npos);
}
