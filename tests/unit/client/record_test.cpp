#include <doctest/doctest.h>

#include "lib/base/json_dump.hpp"
#include "lib/client/record.hpp"
#include "lib/model_api/replay.hpp"

using namespace harness;
using harness::client::Json;

namespace {
Json response_event(int seq, Json message) {
  return Json{{"seq", seq},
              {"type", "model_response"},
              {"data",
               {{"message", std::move(message)},
                {"stop_reason", "tool_use"},
                {"usage", {{"input_tokens", 7}, {"output_tokens", 3}}},
                {"model", "claude-fake"},
                {"turn", 1},
                {"latency_ms", 12}}}};
}
}  // namespace

TEST_CASE("a recording is the leaf's model responses, which the replay provider answers with") {
  Json call = {{"id", "toolu_1"}, {"name", "bash"}, {"input", {{"command", "ls"}}}};
  Json events =
      Json::array({Json{{"seq", 1}, {"type", "leaf_submitted"}, {"data", {{"prompt", "hi"}}}},
                   response_event(2, {{"role", "assistant"}, {"text", ""}, {"tool_calls", {call}}}),
                   Json{{"seq", 3}, {"type", "tool_finished"}, {"data", {{"call_id", "toolu_1"}}}},
                   response_event(4, {{"role", "assistant"}, {"text", "done"}})});
  Json file = client::replay_file("lf_x", events);
  CHECK(file["leaf"] == "lf_x");
  REQUIRE(file["responses"].size() == 2);
  CHECK_FALSE(file["responses"][0].contains("turn"));
  CHECK_FALSE(file["responses"][0].contains("latency_ms"));

  auto replay = model_api::ReplayModel::parse(dump_json(file), "rec.json");
  REQUIRE(replay.has_value());
  CHECK(replay->size() == 2);
  model::ModelRequest req;
  req.messages.push_back(model::Message{});
  auto first = replay->answer(req);
  REQUIRE(first.has_value());
  REQUIRE(first->message.tool_calls.size() == 1);
  CHECK(first->message.tool_calls[0].id == "toolu_1");
  CHECK(first->message.tool_calls[0].input == Json{{"command", "ls"}});
  CHECK(first->usage.input_tokens == 7);
  model::Message assistant;
  assistant.role = model::Role::assistant;
  req.messages.push_back(assistant);
  auto second = replay->answer(req);
  REQUIRE(second.has_value());
  CHECK(second->message.text == "done");
  CHECK(second->message.tool_calls.empty());
}

TEST_CASE("a leaf without model responses records an empty list") {
  CHECK(client::replay_file("lf_y", Json::array())["responses"] == Json::array());
  CHECK(client::replay_file("lf_y", Json("junk"))["responses"] == Json::array());
}
