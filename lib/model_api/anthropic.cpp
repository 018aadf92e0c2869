#include "lib/model_api/anthropic.hpp"

#include "lib/model_api/wire.hpp"

namespace harness::model_api {
namespace {

using model::Json;

constexpr std::string_view k_provider = "anthropic";

Json content_of(const model::Message& m) {
  Json blocks = Json::array();
  for (const auto& r : m.tool_results)
    blocks.push_back(Json{{"type", "tool_result"},
                          {"tool_use_id", r.call_id},
                          {"content", r.content},
                          {"is_error", r.is_error}});
  if (!m.text.empty()) blocks.push_back(Json{{"type", "text"}, {"text", m.text}});
  for (const auto& c : m.tool_calls)
    blocks.push_back(
        Json{{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", c.input}});
  if (blocks.empty()) blocks.push_back(Json{{"type", "text"}, {"text", "(no content)"}});
  return blocks;
}

// The body as nlohmann would dump {"max_tokens","messages","model","system"?,"tools"?} (keys
// in sorted order), with the messages' text from req.wire where it has them.
std::string body_of(const model::ModelProfile& profile, const model::ModelRequest& req) {
  std::string body = "{\"max_tokens\":" +
                     std::to_string(effective_max_tokens(profile.max_tokens, req.max_tokens)) +
                     ",\"messages\":[";
  append_wire_messages(body, k_provider, req.messages, req.wire, [](const model::Message& m) {
    return model::dump_json(Json{{"role", m.role == model::Role::user ? "user" : "assistant"},
                                 {"content", content_of(m)}});
  });
  body += "],\"model\":" + model::dump_json(Json(profile.model));
  if (!req.system.empty()) body += ",\"system\":" + model::dump_json(Json(req.system));
  if (!req.tools.empty()) {
    Json tools = Json::array();
    for (const auto& t : req.tools)
      tools.push_back(
          Json{{"name", t.name}, {"description", t.description}, {"input_schema", t.input_schema}});
    body += ",\"tools\":" + model::dump_json(tools);
  }
  body += '}';
  return body;
}

Error malformed(std::string what) {
  return make_error(ErrorCode::unavailable, "anthropic API returned a malformed message: " + what);
}

Status add_block(const Json& block, model::Message& out) {
  if (!block.is_object()) return malformed("a content block is not an object");
  std::string type = string_field(block, "type");
  if (type == "text") {
    if (!out.text.empty()) out.text += "\n";
    out.text += string_field(block, "text");
  } else if (type == "tool_use") {
    model::ToolCall call{string_field(block, "id"), string_field(block, "name"), Json::object()};
    if (block.contains("input")) call.input = block["input"];
    if (call.name.empty() || !call.input.is_object())
      return malformed("tool_use block without a name or an object input");
    out.tool_calls.push_back(std::move(call));
  }
  // Other block types (thinking, redacted_thinking...) carry nothing the loop acts on.
  return {};
}

}  // namespace

Result<http::ClientRequest> build_anthropic_request(const model::ModelProfile& profile,
                                                    const std::string& api_key,
                                                    const model::ModelRequest& req) {
  if (profile.model.empty())
    return make_error(ErrorCode::invalid, "model profile '" + profile.name + "' has no model name");
  http::ClientRequest out;
  out.method = "POST";
  out.url = join_url(profile.base_url, k_anthropic_default_base, "/v1/messages");
  if (!api_key.empty()) out.headers.emplace_back("x-api-key", api_key);
  out.headers.emplace_back("anthropic-version", "2023-06-01");
  out.headers.emplace_back("content-type", "application/json");
  out.body = body_of(profile, req);
  return out;
}

Result<model::ModelResponse> parse_anthropic_response(long status, const std::string& body) {
  if (status < 200 || status >= 300) return api_error(k_provider, status, body);
  HARNESS_TRY_ASSIGN(Json j, parse_body(k_provider, body));
  if (!j.is_object()) return malformed("not an object");
  if (string_field(j, "type") == "error") return api_error(k_provider, 500, body);
  if (!j.contains("content") || !j["content"].is_array()) return malformed("no 'content' array");
  model::ModelResponse r;
  r.message.role = model::Role::assistant;
  for (const auto& block : j["content"]) HARNESS_TRY(add_block(block, r.message));
  r.stop_reason = string_field(j, "stop_reason");
  r.model = string_field(j, "model");
  if (j.contains("usage") && j["usage"].is_object()) {
    const Json& u = j["usage"];
    r.usage.cache_read_tokens = token_field(k_provider, u, "cache_read_input_tokens");
    r.usage.cache_write_tokens = token_field(k_provider, u, "cache_creation_input_tokens");
    r.usage.input_tokens = token_field(k_provider, u, "input_tokens") + r.usage.cache_read_tokens +
                           r.usage.cache_write_tokens;
    r.usage.output_tokens = token_field(k_provider, u, "output_tokens");
  }
  return r;
}

}  // namespace harness::model_api
