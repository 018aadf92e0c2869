// Bytes that are not UTF-8 on the agent's write paths: the journal (store and live listeners),
// the envelope, and history rebuilt from events of any shape.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "lib/agent/envelope.hpp"
#include "lib/agent/history.hpp"
#include "lib/agent/journal.hpp"
#include "lib/base/utf8.hpp"
#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store::test;
using model::Json;

namespace {
const std::string k_fffd = "\xEF\xBF\xBD";
}

TEST_CASE("journal: event strings that are not UTF-8 are repaired before store and listeners") {
  StoreFixture f;
  agent::Journal journal(*f.store);
  std::vector<model::Event> published;
  journal.set_listener([&](const model::Leaf&, const std::vector<model::Event>& evs) {
    published.insert(published.end(), evs.begin(), evs.end());
  });
  model::Leaf leaf = f.leaf("p");
  Json output{{"output",
               "a\xFF\xFE"
               "b"},
              {"name\xC0", "x"}};
  auto r = f.wait<store::AppendResult>([&](auto cb) {
    journal.append(leaf.id,
                   {draft("leaf_started"), draft("tool_finished", output),
                    model::finished_event(model::LeafState::failed, "internal", "bad \xE2\x82")},
                   cb);
  });
  REQUIRE(r.has_value());
  REQUIRE(published.size() == 3);
  CHECK(published[1].data["output"] == "a" + k_fffd + k_fffd + "b");
  CHECK(published[1].data.contains("name" + k_fffd));
  CHECK(r->leaf.message == "bad " + k_fffd);
  auto stored = f.events(leaf.session, leaf.id);
  REQUIRE(stored.has_value());
  CHECK(stored->at(2).data == published[1].data);  // live == stored
  CHECK(f.get_leaf(leaf.id)->message == "bad " + k_fffd);
}

TEST_CASE("envelope: result.json is valid JSON whatever bytes the leaf holds") {
  TempDir dir;
  uv_loop_t loop;
  uv_loop_init(&loop);
  model::Leaf leaf;
  leaf.id = "lf_x";
  leaf.state = model::LeafState::failed;
  leaf.message = "sandbox said \xFF";
  leaf.result = std::string("r\xC3");
  leaf.spec.envelope = dir.path;
  bool done = false;
  agent::write_envelope(&loop, leaf, [&] { done = true; });
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(done);
  CHECK(uv_loop_close(&loop) == 0);
  std::ifstream in(dir.path + "/result.json");
  std::stringstream ss;
  ss << in.rdbuf();
  REQUIRE(valid_utf8(ss.str()));
  Json j = Json::parse(ss.str());
  CHECK(j["message"] == "sandbox said " + k_fffd);
  CHECK(j["result"] == "r" + k_fffd);
}

TEST_CASE("history: events of any shape rebuild a conversation without throwing") {
  std::vector<model::Event> log;
  auto add = [&](std::string type, const char* data) {
    log.push_back(model::Event{"ses_1", static_cast<std::int64_t>(log.size()) + 1, "lf_1",
                               std::move(type), 0, Json::parse(data)});
  };
  add("leaf_submitted", R"({"prompt": 5})");
  add("model_response", R"({"message": {"tool_calls": [{"name": "bash", "id": "c1",
                            "input": {"command": null}}]}, "turn": "one"})");
  add("gate_opened", R"({"call_id": 3, "gate": "x"})");
  add("gate_decided", R"({"gate": [], "verdict": 1, "by": "bob"})");
  add("tool_started", R"({"call_id": {}})");
  add("tool_finished", R"({"call_id": "c1", "output": 4, "is_error": "yes"})");
  add("model_response", R"({"message": 7})");
  agent::History h;
  CHECK_NOTHROW(h = agent::build_history(log, "lf_1"));
  CHECK_FALSE(h.messages.empty());
  CHECK(agent::verdict_text(Json::parse(R"({"by": {"name": 5}, "verdict": 2})")) == " by someone");
}
