#include "lib/model_api/openai.hpp"

#include <doctest/doctest.h>

#include "lib/base/utf8.hpp"
#include "tests/unit/model_api/fixtures.hpp"

namespace harness::model_api {
namespace {

using model::Json;

std::string header(const http::ClientRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<absent>";
}

TEST_CASE("openai request: URL, bearer key and the exact Chat Completions body") {
  auto r = build_openai_request(test::profile("openai", "http://127.0.0.1:11434/v1/"), "sk-x",
                                test::sample_request());
  REQUIRE(r.has_value());
  CHECK(r->method == "POST");
  CHECK(r->url == "http://127.0.0.1:11434/v1/chat/completions");
  CHECK(header(*r, "Authorization") == "Bearer sk-x");
  CHECK(header(*r, "content-type") == "application/json");
  Json expected = Json::parse(R"({
    "model": "m-1",
    "max_tokens": 1000,
    "messages": [
      {"role": "system", "content": "You are careful."},
      {"role": "user", "content": "List the files."},
      {"role": "assistant", "content": "Let me look.", "tool_calls": [
        {"id": "call_1", "type": "function",
         "function": {"name": "bash", "arguments": "{\"command\":\"ls -la\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "a.txt\nb.txt"},
      {"role": "user", "content": "Also check b."},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "call_2", "type": "function",
         "function": {"name": "read_file", "arguments": "{\"path\":\"b.txt\"}"}}]},
      {"role": "tool", "tool_call_id": "call_2", "content": "[tool error] no such file"}
    ],
    "tools": [{"type": "function", "function": {
      "name": "bash", "description": "Run a shell command.",
      "parameters": {"type": "object", "properties": {"command": {"type": "string"}},
                     "required": ["command"]}}}]
  })");
  CHECK(Json::parse(r->body) == expected);
}

TEST_CASE("openai request: no key means no Authorization header; default base URL") {
  model::ModelRequest req;
  req.messages.push_back(model::Message{model::Role::user, "hi", {}, {}});
  auto r = build_openai_request(test::profile("openai", ""), "", req);
  REQUIRE(r.has_value());
  CHECK(r->url == "https://api.openai.com/v1/chat/completions");
  CHECK(header(*r, "Authorization") == "<absent>");
  Json body = Json::parse(r->body);
  CHECK(body["messages"] == Json::parse(R"([{"role":"user","content":"hi"}])"));
  CHECK_FALSE(body.contains("tools"));
}

TEST_CASE("openai response: content, tool calls with JSON-string arguments, usage") {
  std::string body = R"({
    "id": "chatcmpl-abc", "object": "chat.completion", "created": 1741569952,
    "model": "gpt-4.1-2025-04-14",
    "choices": [{
      "index": 0,
      "message": {"role": "assistant", "content": null, "refusal": null,
        "tool_calls": [
          {"id": "call_abc", "type": "function",
           "function": {"name": "bash", "arguments": "{\"command\": \"ls\"}"}},
          {"id": "call_def", "type": "function",
           "function": {"name": "list_files", "arguments": ""}}]},
      "logprobs": null, "finish_reason": "tool_calls"}],
    "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}
  })";
  auto r = parse_openai_response(200, body);
  REQUIRE(r.has_value());
  CHECK(r->message.text == "");
  REQUIRE(r->message.tool_calls.size() == 2);
  CHECK(r->message.tool_calls[0].id == "call_abc");
  CHECK(r->message.tool_calls[0].name == "bash");
  CHECK(r->message.tool_calls[0].input == Json{{"command", "ls"}});
  CHECK(r->message.tool_calls[1].input == Json::object());
  CHECK(r->stop_reason == "tool_calls");
  CHECK(r->usage.input_tokens == 82);
  CHECK(r->usage.output_tokens == 17);
  CHECK(r->model == "gpt-4.1-2025-04-14");
}

TEST_CASE("openai response: plain answer") {
  auto r = parse_openai_response(
      200,
      R"({"model":"qwen2.5-coder:7b","choices":[{"index":0,"message":{"role":"assistant","content":"Done."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}})");
  REQUIRE(r.has_value());
  CHECK(r->message.text == "Done.");
  CHECK(r->message.tool_calls.empty());
  CHECK(r->stop_reason == "stop");
}

TEST_CASE("openai response: malformed arguments become {} plus a note in the text") {
  auto r = parse_openai_response(
      200,
      R"({"choices":[{"message":{"role":"assistant","content":"Running it.","tool_calls":[{"type":"function","function":{"name":"bash","arguments":"{\"command\": \"ls"}}]},"finish_reason":"tool_calls"}]})");
  REQUIRE(r.has_value());
  REQUIRE(r->message.tool_calls.size() == 1);
  CHECK(r->message.tool_calls[0].id == "call_0");
  CHECK(r->message.tool_calls[0].input == Json::object());
  CHECK(r->message.text.starts_with(
      "Running it.\n[harness: the arguments of tool call call_0 (bash)"));
  CHECK(r->message.text.find("{\"command\": \"ls") != std::string::npos);
}

TEST_CASE("openai response: the note's excerpt of long arguments never cuts a character") {
  // Found by fuzz_openai_response (corpus regress_excerpt_splits_utf8): the excerpt used to end
  // mid-character, and the note then made the model_response event throw when dumped.
  std::string args = "x";
  for (int i = 0; i < 150; ++i) args += "\xC3\xA9";  // é: the 200-byte cut falls inside one
  Json body{{"choices",
             {{{"message",
                {{"tool_calls",
                  {{{"id", "c"}, {"function", {{"name", "bash"}, {"arguments", args}}}}}}}}}}}};
  auto r = parse_openai_response(200, body.dump());
  REQUIRE(r.has_value());
  CHECK(valid_utf8(r->message.text));
  CHECK(r->message.text.find("x\xC3\xA9\xC3\xA9") != std::string::npos);
  CHECK(r->message.text.ends_with("\xC3\xA9…]"));
  CHECK_NOTHROW((void)model::to_json(*r).dump());
}

TEST_CASE("openai response: arguments given as an object are accepted") {
  auto r = parse_openai_response(
      200,
      R"({"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"grep","arguments":{"pattern":"x"}}}]}}]})");
  REQUIRE(r.has_value());
  CHECK(r->message.tool_calls.at(0).input == Json{{"pattern", "x"}});
}

TEST_CASE("openai response: errors") {
  auto limited = parse_openai_response(
      429,
      R"({"error":{"message":"Rate limit reached for gpt-4.1","type":"requests","param":null,"code":"rate_limit_exceeded"}})");
  REQUIRE_FALSE(limited.has_value());
  CHECK(limited.error().code == ErrorCode::unavailable);
  CHECK(limited.error().message ==
        "openai API error 429 (requests): Rate limit reached for gpt-4.1");
  auto missing = parse_openai_response(404, R"({"error":{"message":"model 'x' not found"}})");
  CHECK(missing.error().code == ErrorCode::not_found);
  CHECK(missing.error().message == "openai API error 404: model 'x' not found");
  CHECK_FALSE(parse_openai_response(200, R"({"choices":[]})").has_value());
  CHECK_FALSE(parse_openai_response(200, R"({"error":{"message":"upstream"}})").has_value());
  CHECK(parse_openai_response(200, "").error().code == ErrorCode::unavailable);
}

}  // namespace
}  // namespace harness::model_api
