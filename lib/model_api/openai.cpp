#include "lib/model_api/openai.hpp"

#include "lib/base/utf8.hpp"
#include "lib/model_api/wire.hpp"

namespace harness::model_api {
namespace {

using model::Json;

constexpr std::string_view k_provider = "openai";
constexpr size_t k_note_excerpt = 200;

void add_user(const model::Message& m, Json& out) {
  for (const auto& r : m.tool_results)
    out.push_back(Json{{"role", "tool"},
                       {"tool_call_id", r.call_id},
                       {"content", r.is_error ? "[tool error] " + r.content : r.content}});
  if (!m.text.empty() || m.tool_results.empty())
    out.push_back(Json{{"role", "user"}, {"content", m.text}});
}

void add_assistant(const model::Message& m, Json& out) {
  Json msg{{"role", "assistant"}};
  msg["content"] = m.text.empty() && !m.tool_calls.empty() ? Json(nullptr) : Json(m.text);
  if (!m.tool_calls.empty()) {
    Json calls = Json::array();
    for (const auto& c : m.tool_calls)
      calls.push_back(Json{{"id", c.id},
                           {"type", "function"},
                           {"function", {{"name", c.name}, {"arguments", dump_json(c.input)}}}});
    msg["tool_calls"] = std::move(calls);
  }
  out.push_back(std::move(msg));
}

// One neutral message as the chat messages it becomes (a user message with tool results is one
// "tool" message per result), comma-joined.
std::string wire_message(const model::Message& m) {
  Json out = Json::array();
  if (m.role == model::Role::user)
    add_user(m, out);
  else
    add_assistant(m, out);
  std::string text = dump_json(out);  // "[a,b]": the array's inside is what we keep
  return text.substr(1, text.size() - 2);
}

// The body as nlohmann would dump {"max_tokens","messages","model","tools"?} (keys in sorted
// order), with the messages' text from req.wire where it has them.
std::string body_of(const model::ModelProfile& profile, const model::ModelRequest& req) {
  std::string body = "{\"max_tokens\":" +
                     std::to_string(effective_max_tokens(profile.max_tokens, req.max_tokens)) +
                     ",\"messages\":[";
  if (!req.system.empty()) {
    body += dump_json(Json{{"role", "system"}, {"content", req.system}});
    if (!req.messages.empty()) body += ',';
  }
  append_wire_messages(body, k_provider, req.messages, req.wire, wire_message);
  body += "],\"model\":" + dump_json(Json(profile.model));
  if (!req.tools.empty()) {
    Json tools = Json::array();
    for (const auto& t : req.tools)
      tools.push_back(Json{
          {"type", "function"},
          {"function",
           {{"name", t.name}, {"description", t.description}, {"parameters", t.input_schema}}}});
    body += ",\"tools\":" + dump_json(tools);
  }
  body += '}';
  return body;
}

Error malformed(std::string what) {
  return make_error(ErrorCode::unavailable, "openai API returned a malformed completion: " + what);
}

// Reads function.arguments; returns a note for the text when it had to be replaced by {}.
std::string read_arguments(const Json& fn, model::ToolCall& call) {
  auto it = fn.find("arguments");
  if (it == fn.end() || it->is_null()) return "";
  if (it->is_object()) {
    call.input = *it;
    return "";
  }
  std::string raw = it->is_string() ? it->get<std::string>() : dump_json(*it);
  if (raw.find_first_not_of(" \t\r\n") == std::string::npos) return "";
  auto parsed = Json::parse(raw, nullptr, false);
  if (parsed.is_object()) {
    call.input = std::move(parsed);
    return "";
  }
  std::string excerpt =
      raw.size() > k_note_excerpt ? std::string(utf8_prefix(raw, k_note_excerpt)) + "…" : raw;
  return "[harness: the arguments of tool call " + call.id + " (" + call.name +
         ") were not a JSON object and were replaced by {}: " + excerpt + "]";
}

Status add_tool_calls(const Json& message, model::Message& out) {
  auto it = message.find("tool_calls");
  if (it == message.end() || it->is_null()) return {};
  if (!it->is_array()) return malformed("'tool_calls' is not an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& tc = (*it)[i];
    const Json fn = tc.is_object() && tc.contains("function") ? tc["function"] : Json();
    model::ToolCall call{string_field(tc, "id"), string_field(fn, "name"), Json::object()};
    if (call.name.empty()) return malformed("a tool call has no function name");
    if (call.id.empty()) call.id = "call_" + std::to_string(i);
    if (auto note = read_arguments(fn, call); !note.empty())
      out.text += (out.text.empty() ? "" : "\n") + note;
    out.tool_calls.push_back(std::move(call));
  }
  return {};
}

}  // namespace

Result<http::ClientRequest> build_openai_request(const model::ModelProfile& profile,
                                                 const std::string& api_key,
                                                 const model::ModelRequest& req) {
  if (profile.model.empty())
    return make_error(ErrorCode::invalid, "model profile '" + profile.name + "' has no model name");
  http::ClientRequest out;
  out.method = "POST";
  out.url = join_url(profile.base_url, k_openai_default_base, "/chat/completions");
  if (!api_key.empty()) out.headers.emplace_back("Authorization", "Bearer " + api_key);
  out.headers.emplace_back("content-type", "application/json");
  out.body = body_of(profile, req);
  return out;
}

Result<model::ModelResponse> parse_openai_response(long status, const std::string& body) {
  if (status < 200 || status >= 300) return api_error(k_provider, status, body);
  HARNESS_TRY_ASSIGN(Json j, parse_body(k_provider, body));
  if (j.is_object() && j.contains("error") && j["error"].is_object())
    return api_error(k_provider, 500, body);
  if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty())
    return malformed("no 'choices'");
  const Json& choice = j["choices"][0];
  if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object())
    return malformed("choices[0] has no 'message'");
  const Json& message = choice["message"];
  model::ModelResponse r;
  r.message.role = model::Role::assistant;
  r.message.text = string_field(message, "content");
  HARNESS_TRY(add_tool_calls(message, r.message));
  r.stop_reason = string_field(choice, "finish_reason");
  r.model = string_field(j, "model");
  if (j.contains("usage") && j["usage"].is_object()) {
    r.usage.input_tokens = token_field(k_provider, j["usage"], "prompt_tokens");
    r.usage.output_tokens = token_field(k_provider, j["usage"], "completion_tokens");
  }
  return r;
}

}  // namespace harness::model_api
