#pragma once
// The replay provider: answers from a recorded file of model responses, so a leaf runs with real
// tools and no model. Pure lookup after loading; loading reads the file (blocking, small).

#include <memory>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/conversation.hpp"

namespace harness::model_api {

// File format: {"responses":[R, ...]} or a bare [R, ...], where R is
//   {"text":"…", "tool_calls":[{"name":"bash","input":{…}, "id"?: "…"}], "usage"?: {…},
//    "stop_reason"?: "…", "model"?: "…"}
// or a recorded neutral ModelResponse {"message":{…}, "stop_reason", "usage", "model"}.
class ReplayModel {
 public:
  // Reads and validates `path`. not_found when missing; bad_request naming the file and the
  // response index when malformed.
  static Result<ReplayModel> load(const std::string& path);
  // Parses file content; `origin` names it in errors.
  static Result<ReplayModel> parse(const std::string& text, const std::string& origin);

  // Response number K, where K = the assistant messages already in `req.messages`, so a resumed
  // or recovered leaf gets the same answer. Tool call ids default to "replay_<K>_<i>";
  // stop_reason to "tool_use"/"end_turn"; model to "replay". Past the end: invalid,
  // "replay file F has only N responses".
  Result<model::ModelResponse> answer(const model::ModelRequest& req) const;
  size_t size() const { return m_responses.size(); }

 private:
  std::string m_origin;
  std::vector<model::ModelResponse> m_responses;
};

}  // namespace harness::model_api
