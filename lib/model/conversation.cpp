#include "lib/model/conversation.hpp"

namespace harness::model {
namespace {
Error bad(std::string what) {
  return make_error(ErrorCode::bad_request, std::move(what));
}
}  // namespace

size_t WireCache::bytes() const {
  size_t n = format.size();
  for (const auto& m : messages) n += m.size() + sizeof(std::string);
  return n;
}

Json to_json(const ToolCall& c) {
  return Json{{"id", c.id}, {"name", c.name}, {"input", c.input}};
}

Result<ToolCall> tool_call_from_json(const Json& j) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
    return bad("tool call needs a string 'name'");
  ToolCall c;
  c.name = str_at(j, "name");
  c.id = str_at(j, "id");
  if (j.contains("input")) c.input = j["input"];
  if (!c.input.is_object()) return bad("tool call '" + c.name + "' input must be an object");
  return c;
}

Json to_json(const Message& m) {
  Json j{{"role", m.role == Role::user ? "user" : "assistant"}, {"text", m.text}};
  if (!m.tool_calls.empty()) {
    Json calls = Json::array();
    for (const auto& c : m.tool_calls) calls.push_back(to_json(c));
    j["tool_calls"] = std::move(calls);
  }
  if (!m.tool_results.empty()) {
    Json results = Json::array();
    for (const auto& r : m.tool_results)
      results.push_back(
          Json{{"call_id", r.call_id}, {"content", r.content}, {"is_error", r.is_error}});
    j["tool_results"] = std::move(results);
  }
  return j;
}

Result<Message> message_from_json(const Json& j) {
  if (!j.is_object()) return bad("message must be a JSON object");
  Message m;
  m.role = str_at(j, "role") == "user" ? Role::user : Role::assistant;
  m.text = str_at(j, "text");
  if (j.contains("tool_calls")) {
    if (!j["tool_calls"].is_array()) return bad("'tool_calls' must be an array");
    for (const auto& c : j["tool_calls"]) {
      HARNESS_TRY_ASSIGN(ToolCall call, tool_call_from_json(c));
      m.tool_calls.push_back(std::move(call));
    }
  }
  if (j.contains("tool_results")) {
    if (!j["tool_results"].is_array()) return bad("'tool_results' must be an array");
    for (const auto& r : j["tool_results"]) {
      if (!r.is_object()) return bad("tool result must be an object");
      m.tool_results.push_back(
          ToolResult{str_at(r, "call_id"), str_at(r, "content"), bool_at(r, "is_error")});
    }
  }
  return m;
}

Json to_json(const ModelResponse& r) {
  return Json{{"message", to_json(r.message)},
              {"stop_reason", r.stop_reason},
              {"usage", to_json(r.usage)},
              {"model", r.model}};
}

Result<ModelResponse> model_response_from_json(const Json& j) {
  if (!j.is_object() || !j.contains("message")) return bad("model response needs a 'message'");
  ModelResponse r;
  HARNESS_TRY_ASSIGN(r.message, message_from_json(j["message"]));
  r.message.role = Role::assistant;
  for (const char* key : {"stop_reason", "model"})
    if (j.contains(key) && !j[key].is_string() && !j[key].is_null())
      return bad(std::string("'") + key + "' must be a string");
  r.stop_reason = str_at(j, "stop_reason");
  if (j.contains("usage")) r.usage = usage_from_json(j["usage"]);
  r.model = str_at(j, "model");
  return r;
}

}  // namespace harness::model
