#include <doctest/doctest.h>

#include "lib/model/conversation.hpp"
#include "lib/model/leaf.hpp"

using namespace harness;
using namespace harness::model;

namespace {
Event ev(std::string type, Json data, std::int64_t seq) {
  Event e;
  e.session = "ses_x";
  e.leaf = "lf_x";
  e.type = std::move(type);
  e.data = std::move(data);
  e.seq = seq;
  e.ts = 1000 * seq;
  return e;
}
}  // namespace

TEST_CASE("the state machine allows SPEC transitions only") {
  CHECK(can_transition(LeafState::queued, LeafState::running));
  CHECK(can_transition(LeafState::queued, LeafState::cancelled));
  CHECK(can_transition(LeafState::running, LeafState::succeeded));
  CHECK(can_transition(LeafState::running, LeafState::awaiting_approval));
  CHECK(can_transition(LeafState::awaiting_approval, LeafState::rejected));
  CHECK_FALSE(can_transition(LeafState::queued, LeafState::rejected));
  for (auto t :
       {LeafState::succeeded, LeafState::failed, LeafState::rejected, LeafState::cancelled})
    for (auto to :
         {LeafState::queued, LeafState::running, LeafState::succeeded, LeafState::cancelled})
      CHECK_FALSE(can_transition(t, to));
}

TEST_CASE("leaf rows are the projection of their events") {
  Leaf l;
  LeafSpec spec;
  spec.prompt = "hi";
  spec.labels["team"] = "a";
  REQUIRE(apply_event(l, ev("leaf_submitted", to_json(spec), 1)));
  CHECK(l.state == LeafState::queued);
  CHECK(l.spec.prompt == "hi");
  CHECK(l.created_at == 1000);
  REQUIRE(apply_event(l, ev("leaf_started", Json::object(), 2)));
  CHECK(l.state == LeafState::running);
  Json resp{{"turn", 1}, {"usage", {{"input_tokens", 10}, {"output_tokens", 5}}}};
  REQUIRE(apply_event(l, ev("model_response", resp, 3)));
  REQUIRE(apply_event(l, ev("model_response", resp, 4)));
  CHECK(l.usage.input_tokens == 20);
  auto fin = finished_event(LeafState::succeeded, reason::completed, "done", std::string("42"));
  REQUIRE(apply_event(l, ev(fin.type, fin.data, 5)));
  CHECK(l.state == LeafState::succeeded);
  CHECK(*l.result == "42");
  CHECK(l.finished_at == 5000);
  CHECK(l.last_seq == 5);
  auto again = apply_event(l, ev("tool_started", Json::object(), 6));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == ErrorCode::conflict);
}

TEST_CASE("crashed_recoveries counts recoveries after a crash until the leaf makes progress") {
  Leaf l;
  REQUIRE(apply_event(l, ev("leaf_submitted", to_json(LeafSpec{}), 1)));
  REQUIRE(apply_event(l, ev("leaf_started", Json::object(), 2)));
  Json crash{{"after", "crash"}};
  REQUIRE(apply_event(l, ev("leaf_recovered", crash, 3)));
  REQUIRE(apply_event(l, ev("tool_started", Json{{"call_id", "a"}}, 4)));
  REQUIRE(apply_event(l, ev("leaf_recovered", crash, 5)));
  // A started call is not progress: a read-only call that crashed is run again.
  CHECK(l.crashed_recoveries == 2);
  CHECK(leaf_from_json(to_json(l))->crashed_recoveries == 2);
  REQUIRE(apply_event(l, ev("tool_finished", Json{{"call_id", "a"}}, 6)));
  CHECK(l.crashed_recoveries == 0);
  REQUIRE(apply_event(l, ev("leaf_recovered", crash, 7)));
  REQUIRE(apply_event(l, ev("model_error", Json{{"attempt", 1}}, 8)));
  REQUIRE(apply_event(l, ev("leaf_recovered", crash, 9)));
  CHECK(l.crashed_recoveries == 2);
  REQUIRE(apply_event(l, ev("model_response", Json{{"turn", 1}}, 10)));
  CHECK(l.crashed_recoveries == 0);
  REQUIRE(apply_event(l, ev("leaf_recovered", crash, 11)));
  // A clean shutdown in between: the last recovery did not crash.
  REQUIRE(apply_event(l, ev("leaf_recovered", Json{{"after", "shutdown"}}, 12)));
  CHECK(l.crashed_recoveries == 0);
}

TEST_CASE("leaf JSON round-trips and reports wrong types by field") {
  Leaf l;
  l.id = "lf_1";
  l.session = "ses_1";
  l.state = LeafState::failed;
  l.reason = "max_turns";
  l.created_at = 1'795'000'000'000;
  l.spec.prompt = "p";
  l.spec.timeout_ms = 90'000;
  auto back = leaf_from_json(to_json(l));
  REQUIRE(back.has_value());
  CHECK(back->state == LeafState::failed);
  CHECK(back->reason == "max_turns");
  CHECK(back->spec.timeout_ms == 90'000);
  CHECK(back->created_at == l.created_at);
  auto bad = spec_from_json(Json{{"max_turns", "many"}});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("max_turns") != std::string::npos);
}

TEST_CASE("a leaf's account round-trips; null is the daemon's own; bad shapes are named") {
  LeafSpec s;
  s.prompt = "p";
  CHECK(to_json(s)["run_as"].is_null());
  CHECK_FALSE(spec_from_json(to_json(s))->run_as.has_value());
  s.run_as = Account{1001, 1002, {27, 1002}, "alice"};
  Json j = to_json(s);
  CHECK(j["run_as"] ==
        Json{{"uid", 1001}, {"gid", 1002}, {"groups", {27, 1002}}, {"name", "alice"}});
  auto back = spec_from_json(j);
  REQUIRE(back.has_value());
  REQUIRE(back->run_as.has_value());
  CHECK(*back->run_as == *s.run_as);
  CHECK(back->run_as->name == "alice");
  for (Json bad : {Json("alice"), Json{{"uid", "x"}, {"gid", 1}}, Json{{"name", "a"}}}) {
    j["run_as"] = bad;
    auto r = spec_from_json(j);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("run_as") != std::string::npos);
  }
}

TEST_CASE("messages round-trip with tool calls and results") {
  Message m;
  m.role = Role::assistant;
  m.text = "let me look";
  m.tool_calls.push_back(ToolCall{"c1", "bash", Json{{"command", "ls"}}});
  auto back = message_from_json(to_json(m));
  REQUIRE(back.has_value());
  CHECK(back->tool_calls.at(0).input["command"] == "ls");
  Message u;
  u.tool_results.push_back(ToolResult{"c1", "out", true});
  auto ub = message_from_json(to_json(u));
  REQUIRE(ub.has_value());
  CHECK(ub->role == Role::user);
  CHECK(ub->tool_results.at(0).is_error);
}

TEST_CASE("gates park the leaf and a verdict on the open gate resumes it") {
  Leaf l;
  REQUIRE(apply_event(l, ev("leaf_submitted", to_json(LeafSpec{}), 1)));
  REQUIRE(apply_event(l, ev("leaf_started", Json::object(), 2)));
  REQUIRE(apply_event(l, ev("gate_opened", Json{{"gate", 1}, {"call_id", "c"}}, 3)));
  CHECK(l.state == LeafState::awaiting_approval);
  CHECK(l.open_gate == 1);
  CHECK(l.gate["opened_at"].is_string());
  auto wrong = apply_event(l, ev("gate_decided", Json{{"gate", 2}, {"verdict", "approved"}}, 4));
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().code == ErrorCode::conflict);
  REQUIRE(apply_event(l, ev("gate_decided", Json{{"gate", 1}, {"verdict", "approved"}}, 5)));
  CHECK(l.state == LeafState::running);
  CHECK(l.open_gate == 0);
  CHECK(l.gate_wait_ms == 2000);  // opened at seq 3 (3 s), decided at seq 5 (5 s)
  auto again = apply_event(l, ev("gate_decided", Json{{"gate", 1}, {"verdict", "approved"}}, 6));
  CHECK_FALSE(again.has_value());
}

TEST_CASE("a rejection with stop ends the leaf rejected in the same batch") {
  Leaf l;
  REQUIRE(apply_event(l, ev("leaf_submitted", to_json(LeafSpec{}), 1)));
  REQUIRE(apply_event(l, ev("leaf_started", Json::object(), 2)));
  REQUIRE(apply_event(l, ev("gate_opened", Json{{"gate", 1}}, 3)));
  REQUIRE(apply_event(
      l, ev("gate_decided", Json{{"gate", 1}, {"verdict", "rejected"}, {"stop", true}}, 4)));
  auto fin = finished_event(LeafState::rejected, reason::rejected, "no");
  REQUIRE(apply_event(l, ev(fin.type, fin.data, 5)));
  CHECK(l.state == LeafState::rejected);
  CHECK(l.gate.is_null());
}
