#pragma once
// Provider-neutral conversation: what the agent loop keeps and what providers map to their wire
// formats (Anthropic content blocks, OpenAI chat messages). No I/O.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/base/result.hpp"
#include "lib/model/leaf.hpp"

namespace harness::model {

struct ToolCall {
  std::string id;
  std::string name;
  Json input = Json::object();
};

struct ToolResult {
  std::string call_id;
  std::string content;
  bool is_error = false;
};

enum class Role { user, assistant };

// A user message carries text and/or tool results; an assistant message text and/or tool calls.
struct Message {
  Role role = Role::user;
  std::string text;
  std::vector<ToolCall> tool_calls;
  std::vector<ToolResult> tool_results;
};

// A tool the model may call.
struct ToolSpec {
  std::string name;
  std::string description;
  Json input_schema = Json::object();
};

// One request to a model, in neutral form.
struct ModelRequest {
  std::string system;
  std::vector<Message> messages;
  std::vector<ToolSpec> tools;
  int max_tokens = 4096;
};

// A model's answer, in neutral form.
struct ModelResponse {
  Message message;          // role assistant
  std::string stop_reason;  // "end_turn", "tool_use", "max_tokens"... as the provider said
  Usage usage;
  std::string model;  // the model name the provider reported
};

Json to_json(const ToolCall& c);
Result<ToolCall> tool_call_from_json(const Json& j);
Json to_json(const Message& m);
Result<Message> message_from_json(const Json& j);
Json to_json(const ModelResponse& r);
Result<ModelResponse> model_response_from_json(const Json& j);

}  // namespace harness::model
