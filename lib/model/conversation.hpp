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
  bool operator==(const ToolCall&) const = default;
};

struct ToolResult {
  std::string call_id;
  std::string content;
  bool is_error = false;
  bool operator==(const ToolResult&) const = default;
};

enum class Role { user, assistant };

// A user message carries text and/or tool results; an assistant message text and/or tool calls.
struct Message {
  Role role = Role::user;
  std::string text;
  std::vector<ToolCall> tool_calls;
  std::vector<ToolResult> tool_results;
  bool operator==(const Message&) const = default;
};

// A tool the model may call.
struct ToolSpec {
  std::string name;
  std::string description;
  Json input_schema = Json::object();
};

// The wire text of a conversation's first messages, kept between requests so that a long,
// unchanged prefix is not serialised again (the provider mappings in lib/model_api fill and use
// it). `format` names the wire format; `messages[i]` is the text message i became.
struct WireCache {
  std::string format;
  std::vector<std::string> messages;
  size_t bytes() const;
};

// One request to a model, in neutral form.
struct ModelRequest {
  std::string system;
  std::vector<Message> messages;
  std::vector<ToolSpec> tools;
  int max_tokens = 4096;
  // Optional, not owned: used and extended while the request is built. The caller promises
  // that messages[0, wire->messages.size()) are the messages it was filled from, unchanged.
  WireCache* wire = nullptr;
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
