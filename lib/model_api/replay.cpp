#include "lib/model_api/replay.hpp"

#include <fstream>
#include <sstream>

#include "lib/model_api/wire.hpp"

namespace harness::model_api {
namespace {

using model::Json;

Result<model::ModelResponse> entry_from_json(const Json& e) {
  if (!e.is_object()) return make_error(ErrorCode::bad_request, "a response must be an object");
  if (e.contains("message")) return model::model_response_from_json(e);
  model::ModelResponse r;
  r.message.role = model::Role::assistant;
  r.message.text = string_field(e, "text");
  if (e.contains("tool_calls")) {
    if (!e["tool_calls"].is_array())
      return make_error(ErrorCode::bad_request, "'tool_calls' must be an array");
    for (const auto& c : e["tool_calls"]) {
      HARNESS_TRY_ASSIGN(model::ToolCall call, model::tool_call_from_json(c));
      r.message.tool_calls.push_back(std::move(call));
    }
  }
  if (e.contains("usage") && e["usage"].is_object()) {
    r.usage.input_tokens = token_field("replay", e["usage"], "input_tokens");
    r.usage.output_tokens = token_field("replay", e["usage"], "output_tokens");
  }
  r.stop_reason = string_field(e, "stop_reason");
  r.model = string_field(e, "model");
  return r;
}

}  // namespace

Result<ReplayModel> ReplayModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::not_found, "replay file " + path + " cannot be opened");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Result<ReplayModel> ReplayModel::parse(const std::string& text, const std::string& origin) {
  auto j = Json::parse(text, nullptr, false);
  if (j.is_discarded())
    return make_error(ErrorCode::bad_request, "replay file " + origin + " is not valid JSON");
  const Json* list = &j;
  if (j.is_object() && j.contains("responses")) list = &j["responses"];
  if (!list->is_array())
    return make_error(ErrorCode::bad_request,
                      "replay file " + origin + " needs {\"responses\": [...]} or an array");
  ReplayModel m;
  m.m_origin = origin;
  for (size_t i = 0; i < list->size(); ++i) {
    Result<model::ModelResponse> r = entry_from_json((*list)[i]);
    if (!r)
      return make_error(ErrorCode::bad_request, "replay file " + origin + ", response " +
                                                    std::to_string(i) + ": " + r.error().message);
    m.m_responses.push_back(std::move(*r));
  }
  return m;
}

Result<model::ModelResponse> ReplayModel::answer(const model::ModelRequest& req) const {
  size_t k = 0;
  for (const auto& msg : req.messages)
    if (msg.role == model::Role::assistant) ++k;
  if (k >= m_responses.size())
    return make_error(ErrorCode::invalid, "replay file " + m_origin + " has only " +
                                              std::to_string(m_responses.size()) +
                                              " responses (asked for response " +
                                              std::to_string(k + 1) + ")");
  model::ModelResponse r = m_responses[k];
  for (size_t i = 0; i < r.message.tool_calls.size(); ++i)
    if (r.message.tool_calls[i].id.empty())
      r.message.tool_calls[i].id = "replay_" + std::to_string(k) + "_" + std::to_string(i);
  if (r.stop_reason.empty()) r.stop_reason = r.message.tool_calls.empty() ? "end_turn" : "tool_use";
  if (r.model.empty()) r.model = "replay";
  return r;
}

}  // namespace harness::model_api
