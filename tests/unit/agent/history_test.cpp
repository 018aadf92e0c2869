#include <doctest/doctest.h>

#include "tests/unit/agent/event_log.hpp"

#include "lib/agent/history.hpp"

using namespace harness;
using namespace harness::model;
using harness::agent::build_history;
using harness::agent::CallStatus;

namespace {
struct Log : harness::agent::testing::EventLog {
  void submit(const std::string& leaf, const std::string& prompt) {
    add(leaf, event::leaf_submitted, Json{{"prompt", prompt}});
  }
  void respond(const std::string& leaf, int turn, const std::string& text,
               std::vector<ToolCall> calls = {}) {
    ModelResponse r;
    r.message.role = Role::assistant;
    r.message.text = text;
    r.message.tool_calls = std::move(calls);
    Json d = to_json(r);
    d["turn"] = turn;
    add(leaf, event::model_response, d);
  }
  void started(const std::string& leaf, const std::string& id) {
    add(leaf, event::tool_started, Json{{"call_id", id}, {"name", "bash"}});
  }
  void finished(const std::string& leaf, const std::string& id, const std::string& out) {
    add(leaf, event::tool_finished, Json{{"call_id", id}, {"output", out}, {"is_error", false}});
  }
};

ToolCall bash(const std::string& id, const std::string& cmd) {
  return ToolCall{id, "bash", Json{{"command", cmd}}};
}
}  // namespace

TEST_CASE("a fresh leaf's history is its prompt") {
  Log log;
  log.submit("lf_a", "hello");
  auto h = build_history(log.events, "lf_a");
  REQUIRE(h.messages.size() == 1);
  CHECK(h.messages[0].role == Role::user);
  CHECK(h.messages[0].text == "hello");
  CHECK(h.calls.empty());
  CHECK(h.turns == 0);
}

TEST_CASE("finished turns become alternating messages with tool results") {
  Log log;
  log.submit("lf_a", "do it");
  log.respond("lf_a", 1, "", {bash("c1", "echo hi")});
  log.started("lf_a", "c1");
  log.finished("lf_a", "c1", "hi");
  auto h = build_history(log.events, "lf_a");
  REQUIRE(h.messages.size() == 3);
  CHECK(h.messages[1].tool_calls.at(0).id == "c1");
  CHECK(h.messages[2].role == Role::user);
  CHECK(h.messages[2].tool_results.at(0).content == "hi");
  CHECK(h.calls.empty());
  CHECK(h.turns == 1);
  CHECK_FALSE(h.answered);
}

TEST_CASE("a crash mid-turn hands back each call with what the log knows") {
  Log log;
  log.submit("lf_a", "do it");
  log.respond("lf_a", 1, "", {bash("c1", "a"), bash("c2", "b"), bash("c3", "c")});
  log.started("lf_a", "c1");
  log.finished("lf_a", "c1", "A");
  log.started("lf_a", "c2");  // crash while c2 ran
  auto h = build_history(log.events, "lf_a");
  REQUIRE(h.calls.size() == 3);
  CHECK(h.calls[0].status == CallStatus::finished);
  CHECK(h.calls[1].status == CallStatus::started);
  CHECK(h.calls[2].status == CallStatus::not_started);
  REQUIRE(h.finished_results.size() == 1);
  CHECK(h.finished_results[0].content == "A");
  CHECK(h.messages.back().role == Role::assistant);
}

TEST_CASE("a resumed leaf sees the whole earlier conversation") {
  Log log;
  log.submit("lf_a", "first");
  log.respond("lf_a", 1, "", {bash("c1", "ls")});
  log.started("lf_a", "c1");
  log.finished("lf_a", "c1", "x");
  log.respond("lf_a", 2, "answer one");
  log.add("lf_a", event::leaf_finished, Json{{"state", "succeeded"}});
  log.submit("lf_b", "second");
  auto h = build_history(log.events, "lf_b");
  REQUIRE(h.messages.size() == 5);
  CHECK(h.messages[0].text == "first");
  CHECK(h.messages[3].text == "answer one");
  CHECK(h.messages[4].text == "second");
  CHECK(h.turns == 0);
  CHECK_FALSE(h.answered);
}

TEST_CASE("calls an earlier leaf never ran get a synthetic result, roles still alternate") {
  Log log;
  log.submit("lf_a", "first");
  log.respond("lf_a", 1, "", {bash("c1", "ls")});
  log.add("lf_a", event::leaf_finished, Json{{"state", "failed"}});  // max_turns: c1 never ran
  log.submit("lf_b", "again");
  auto h = build_history(log.events, "lf_b");
  REQUIRE(h.messages.size() == 3);
  CHECK(h.messages[2].role == Role::user);
  REQUIRE(h.messages[2].tool_results.size() == 1);
  CHECK(h.messages[2].tool_results[0].is_error);
  CHECK(h.messages[2].text == "again");
  CHECK(h.calls.empty());
}

TEST_CASE("a final answer persisted before a crash is recognised") {
  Log log;
  log.submit("lf_a", "q");
  log.respond("lf_a", 1, "42");
  auto h = build_history(log.events, "lf_a");
  CHECK(h.answered);
  CHECK(h.final_text == "42");
  CHECK(h.turns == 1);
}

TEST_CASE("gate verdicts reach the pending call they decided") {
  Log log;
  log.submit("lf_a", "push it");
  log.respond("lf_a", 1, "", {bash("c1", "git push"), bash("c2", "git push --tags")});
  log.add("lf_a", event::gate_opened, Json{{"gate", 1}, {"call_id", "c1"}});
  log.add("lf_a", event::gate_decided,
          Json{{"gate", 1},
               {"verdict", "rejected"},
               {"message", "not today"},
               {"by", {{"name", "bob"}}}});
  log.add("lf_a", event::gate_opened, Json{{"gate", 2}, {"call_id", "c2"}});
  auto h = build_history(log.events, "lf_a");
  REQUIRE(h.calls.size() == 2);
  CHECK(h.calls[0].gate == harness::agent::GateStatus::rejected);
  CHECK(h.calls[0].verdict_text == "rejected by bob: not today");
  CHECK(h.calls[1].gate == harness::agent::GateStatus::open);
  CHECK(h.calls[1].gate_no == 2);
}
