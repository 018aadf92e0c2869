#include "lib/model_api/anthropic.hpp"

#include <doctest/doctest.h>

#include "tests/unit/model_api/fixtures.hpp"

namespace harness::model_api {
namespace {

using model::Json;

std::string header(const http::ClientRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

TEST_CASE("anthropic request: URL, headers and the exact Messages API body") {
  auto r = build_anthropic_request(test::profile("anthropic", "http://h:1/"), "sk-ant-x",
                                   test::sample_request());
  REQUIRE(r.has_value());
  CHECK(r->method == "POST");
  CHECK(r->url == "http://h:1/v1/messages");
  CHECK(header(*r, "x-api-key") == "sk-ant-x");
  CHECK(header(*r, "anthropic-version") == "2023-06-01");
  CHECK(header(*r, "content-type") == "application/json");
  Json expected = Json::parse(R"({
    "model": "m-1",
    "max_tokens": 1000,
    "system": "You are careful.",
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "List the files."}]},
      {"role": "assistant", "content": [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": "call_1", "name": "bash", "input": {"command": "ls -la"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "call_1", "content": "a.txt\nb.txt", "is_error": false},
        {"type": "text", "text": "Also check b."}]},
      {"role": "assistant", "content": [
        {"type": "tool_use", "id": "call_2", "name": "read_file", "input": {"path": "b.txt"}}]},
      {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "call_2", "content": "no such file", "is_error": true}]}
    ],
    "tools": [{"name": "bash", "description": "Run a shell command.",
               "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
                                "required": ["command"]}}]
  })");
  CHECK(Json::parse(r->body) == expected);
}

TEST_CASE("anthropic request: defaults, no key, no system, no tools") {
  model::ModelRequest req;
  req.max_tokens = 0;  // unset: the profile's limit applies
  req.messages.push_back(model::Message{model::Role::user, "hi", {}, {}});
  auto r = build_anthropic_request(test::profile("anthropic", ""), "", req);
  REQUIRE(r.has_value());
  CHECK(r->url == "https://api.anthropic.com/v1/messages");
  CHECK(header(*r, "x-api-key") == "<absent>");
  Json body = Json::parse(r->body);
  CHECK(body["max_tokens"] == 4096);
  CHECK_FALSE(body.contains("system"));
  CHECK_FALSE(body.contains("tools"));
}

TEST_CASE("anthropic request: a profile without a model name is invalid") {
  auto p = test::profile("anthropic", "");
  p.model = "";
  auto r = build_anthropic_request(p, "", test::sample_request());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::invalid);
}

TEST_CASE("anthropic response: text, tool calls, stop reason, usage, model") {
  std::string body = R"({
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
      {"type": "text", "text": "I'll list them."},
      {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "bash",
       "input": {"command": "ls"}},
      {"type": "tool_use", "id": "toolu_02", "name": "read_file", "input": {"path": "a"}}
    ],
    "stop_reason": "tool_use", "stop_sequence": null,
    "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_read_input_tokens": 5}
  })";
  auto r = parse_anthropic_response(200, body);
  REQUIRE(r.has_value());
  CHECK(r->message.role == model::Role::assistant);
  CHECK(r->message.text == "I'll list them.");
  REQUIRE(r->message.tool_calls.size() == 2);
  CHECK(r->message.tool_calls[0].id == "toolu_01A09q90qw90lq917835lq9");
  CHECK(r->message.tool_calls[0].name == "bash");
  CHECK(r->message.tool_calls[0].input == Json{{"command", "ls"}});
  CHECK(r->message.tool_calls[1].name == "read_file");
  CHECK(r->stop_reason == "tool_use");
  CHECK(r->usage.input_tokens == 2100);
  CHECK(r->usage.output_tokens == 503);
  CHECK(r->model == "claude-sonnet-4-5-20250929");
}

TEST_CASE("anthropic response: plain end_turn answer; several text blocks are joined") {
  auto r = parse_anthropic_response(
      200,
      R"({"type":"message","content":[{"type":"text","text":"a"},{"type":"thinking","thinking":"x"},{"type":"text","text":"b"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2},"model":"m"})");
  REQUIRE(r.has_value());
  CHECK(r->message.text == "a\nb");
  CHECK(r->message.tool_calls.empty());
  CHECK(r->stop_reason == "end_turn");
}

TEST_CASE("anthropic response: API errors carry the API's message and a fitting code") {
  auto overloaded = parse_anthropic_response(
      529, R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  REQUIRE_FALSE(overloaded.has_value());
  CHECK(overloaded.error().code == ErrorCode::unavailable);
  CHECK(overloaded.error().message == "anthropic API error 529 (overloaded_error): Overloaded");

  auto bad = parse_anthropic_response(
      400,
      R"({"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}})");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == ErrorCode::bad_request);
  CHECK(bad.error().message.find("max_tokens: must be positive") != std::string::npos);

  auto auth = parse_anthropic_response(
      401,
      R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})");
  CHECK(auth.error().code == ErrorCode::unauthorized);

  auto html = parse_anthropic_response(502, "<html>Bad Gateway</html>");
  REQUIRE_FALSE(html.has_value());
  CHECK(html.error().message == "anthropic API error 502: <html>Bad Gateway</html>");
}

TEST_CASE("anthropic response: an unreadable 2xx body is an error, not a crash") {
  CHECK(parse_anthropic_response(200, "not json").error().code == ErrorCode::unavailable);
  CHECK_FALSE(parse_anthropic_response(200, R"({"type":"message"})").has_value());
  CHECK_FALSE(
      parse_anthropic_response(200, R"({"content":[{"type":"tool_use","input":{}}]})").has_value());
  // Fields of the wrong type are ignored rather than thrown on.
  auto odd = parse_anthropic_response(200, R"({"content":[{"type":5,"text":7}],"model":3})");
  REQUIRE(odd.has_value());
  CHECK(odd->model == "");
  CHECK(odd->message.text == "");
}

}  // namespace
}  // namespace harness::model_api
