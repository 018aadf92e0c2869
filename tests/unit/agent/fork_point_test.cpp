#include <doctest/doctest.h>

#include "lib/agent/fork_point.hpp"
#include "lib/agent/history.hpp"

using namespace harness;
using namespace harness::model;
using harness::agent::choose_fork_seq;
using harness::agent::fork_points;

namespace {
struct Log {
  std::vector<Event> events;
  void add(std::string_view type, Json data) {
    Event e;
    e.session = "ses_1";
    e.seq = static_cast<std::int64_t>(events.size()) + 1;
    e.leaf = "lf_a";
    e.type = std::string(type);
    e.data = std::move(data);
    events.push_back(std::move(e));
  }
  void respond(std::vector<std::string> call_ids) {
    ModelResponse r;
    r.message.role = Role::assistant;
    r.message.text = call_ids.empty() ? "done" : "";
    for (auto& id : call_ids) r.message.tool_calls.push_back({id, "bash", Json{{"command", "x"}}});
    add(event::model_response, to_json(r));
  }
  void finished(const std::string& id) {
    add(event::tool_finished, Json{{"call_id", id}, {"output", "ok"}, {"is_error", false}});
  }
};

// 1 submitted, 2 started, 3 response(c1, c2), 4 tool_started c1, 5 finished c1, 6 gate opened
// for c2, 7 gate decided, 8 finished c2, 9 response(answer), 10 leaf_finished.
Log two_call_turn() {
  Log log;
  log.add(event::leaf_submitted, Json{{"prompt", "hi"}});
  log.add(event::leaf_started, Json::object());
  log.respond({"c1", "c2"});
  log.add(event::tool_started, Json{{"call_id", "c1"}});
  log.finished("c1");
  log.add(event::gate_opened, Json{{"call_id", "c2"}, {"gate", 1}});
  log.add(event::gate_decided, Json{{"gate", 1}, {"verdict", "approved"}});
  log.finished("c2");
  log.respond({});
  log.add(event::leaf_finished, Json{{"state", "succeeded"}});
  return log;
}
}  // namespace

TEST_CASE("fork points are the seqs where no tool call waits for its result") {
  Log log = two_call_turn();
  CHECK(fork_points(log.events) == std::vector<std::int64_t>{1, 2, 8, 9, 10});
  // Every point gives a history in which each tool call has its real result.
  for (std::int64_t seq : fork_points(log.events)) {
    std::vector<Event> prefix(log.events.begin(), log.events.begin() + seq);
    Event fork_leaf = log.events[0];
    fork_leaf.seq = seq + 1;
    fork_leaf.leaf = "lf_fork";
    fork_leaf.data = Json{{"prompt", "again"}};
    prefix.push_back(fork_leaf);
    auto h = agent::build_history(prefix, "lf_fork");
    CHECK(h.calls.empty());
    for (const auto& m : h.messages)
      for (const auto& r : m.tool_results) CHECK(r.content == "ok");
  }
}

TEST_CASE("a leaf that ended with calls unrun closes its turn") {
  Log log;
  log.add(event::leaf_submitted, Json{{"prompt", "hi"}});
  log.respond({"c1"});
  log.add(event::leaf_finished, Json{{"state", "cancelled"}});
  CHECK(fork_points(log.events) == std::vector<std::int64_t>{1, 3});
}

TEST_CASE("choose_fork_seq: the end by default, a point as asked, else the nearest points") {
  Log log = two_call_turn();
  CHECK(choose_fork_seq(log.events, "ses_1", std::nullopt).value() == 10);
  CHECK(choose_fork_seq(log.events, "ses_1", 8).value() == 8);
  CHECK(choose_fork_seq(log.events, "ses_1", 1).value() == 1);

  auto mid = choose_fork_seq(log.events, "ses_1", 6);
  REQUIRE_FALSE(mid.has_value());
  CHECK(mid.error().code == ErrorCode::invalid);
  CHECK(mid.error().message ==
        "seq 6 of session ses_1 is inside a turn: tool call c2 (model response at seq 3) has no "
        "result yet; fork at seq 2 (before) or seq 8 (after)");

  for (std::int64_t bad : {0, -3, 11}) {
    auto r = choose_fork_seq(log.events, "ses_1", bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK(r.error().message.find("its events are 1..10") != std::string::npos);
  }
}

TEST_CASE("choose_fork_seq: a turn still running cuts the default back to its start") {
  Log log;
  log.add(event::leaf_submitted, Json{{"prompt", "hi"}});
  log.add(event::leaf_started, Json::object());
  log.respond({"c1"});
  log.add(event::tool_started, Json{{"call_id", "c1"}});
  CHECK(choose_fork_seq(log.events, "ses_1", std::nullopt).value() == 2);
  auto r = choose_fork_seq(log.events, "ses_1", 4);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message.find("fork at seq 2 (before), or once the turn has finished") !=
        std::string::npos);
}
