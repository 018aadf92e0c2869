#include "lib/model_api/replay.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace harness::model_api {
namespace {

using model::Json;

model::ModelRequest with_assistant_turns(int n) {
  model::ModelRequest req;
  req.messages.push_back(model::Message{model::Role::user, "go", {}, {}});
  for (int i = 0; i < n; ++i) {
    req.messages.push_back(model::Message{model::Role::assistant, "t", {}, {}});
    req.messages.push_back(model::Message{model::Role::user, "", {}, {{"x", "out", false}}});
  }
  return req;
}

constexpr const char* k_file = R"({"responses": [
  {"text": "Listing.", "tool_calls": [{"name": "bash", "input": {"command": "ls"}},
                                      {"name": "read_file", "input": {"path": "a"}, "id": "mine"}],
   "usage": {"input_tokens": 10, "output_tokens": 3}},
  {"text": "All done."}
]})";

TEST_CASE("replay: answer K is chosen by the number of assistant messages") {
  auto m = ReplayModel::parse(k_file, "demo.json");
  REQUIRE(m.has_value());
  CHECK(m->size() == 2);
  auto first = m->answer(with_assistant_turns(0));
  REQUIRE(first.has_value());
  CHECK(first->message.text == "Listing.");
  REQUIRE(first->message.tool_calls.size() == 2);
  CHECK(first->message.tool_calls[0].id == "replay_0_0");
  CHECK(first->message.tool_calls[0].input == Json{{"command", "ls"}});
  CHECK(first->message.tool_calls[1].id == "mine");
  CHECK(first->stop_reason == "tool_use");
  CHECK(first->usage.input_tokens == 10);
  CHECK(first->model == "replay");
  // The same request again (a recovered leaf) gets the same answer.
  CHECK(m->answer(with_assistant_turns(0))->message.tool_calls[0].id == "replay_0_0");
  auto second = m->answer(with_assistant_turns(1));
  REQUIRE(second.has_value());
  CHECK(second->message.text == "All done.");
  CHECK(second->stop_reason == "end_turn");
  auto past = m->answer(with_assistant_turns(2));
  REQUIRE_FALSE(past.has_value());
  CHECK(past.error().message.starts_with("replay file demo.json has only 2 responses"));
}

TEST_CASE("replay: a bare array and recorded ModelResponse entries are accepted") {
  auto m = ReplayModel::parse(
      R"([{"message":{"role":"assistant","text":"hi","tool_calls":[{"id":"t1","name":"bash","input":{}}]},"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1},"model":"claude"}])",
      "rec.json");
  REQUIRE(m.has_value());
  auto r = m->answer(with_assistant_turns(0));
  REQUIRE(r.has_value());
  CHECK(r->message.tool_calls.at(0).id == "t1");
  CHECK(r->model == "claude");
}

TEST_CASE("replay: load reads a file; bad files name the file and the entry") {
  std::string path = "/tmp/harness_replay_test_" + std::to_string(::getpid()) + ".json";
  { std::ofstream(path) << k_file; }
  auto m = ReplayModel::load(path);
  REQUIRE(m.has_value());
  CHECK(m->size() == 2);
  std::remove(path.c_str());
  CHECK(ReplayModel::load(path).error().code == ErrorCode::not_found);
  auto bad = ReplayModel::parse(R"({"responses":[{"text":"ok"},{"tool_calls":[{"input":{}}]}]})",
                                "f.json");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.starts_with("replay file f.json, response 1:"));
  CHECK_FALSE(ReplayModel::parse("{", "f.json").has_value());
  CHECK_FALSE(ReplayModel::parse(R"({"x":1})", "f.json").has_value());
  CHECK_FALSE(
      ReplayModel::parse(R"([{"message":{"text":"a"},"stop_reason":5}])", "f.json").has_value());
}

}  // namespace
}  // namespace harness::model_api
