#pragma once
// Anthropic Messages API (POST {base}/v1/messages): neutral request → wire request, wire
// response → neutral response. Pure functions, no I/O.

#include <string>

#include "lib/base/result.hpp"
#include "lib/http/client.hpp"
#include "lib/model/conversation.hpp"
#include "lib/model/profiles.hpp"

namespace harness::model_api {

// Used when profile.base_url is empty.
inline constexpr std::string_view k_anthropic_default_base = "https://api.anthropic.com";

// Builds the HTTP request. Headers: x-api-key (omitted when `api_key` is empty),
// anthropic-version 2023-06-01, content-type. max_tokens = the smaller of profile.max_tokens and
// req.max_tokens (a value <= 0 means unset). In a user message tool_result blocks come before
// text, as the API requires. An assistant turn with neither text nor tool calls gets the
// placeholder text "(no content)" because the API rejects empty content. Timeout fields are
// left at their defaults (the caller sets them).
Result<http::ClientRequest> build_anthropic_request(const model::ModelProfile& profile,
                                                    const std::string& api_key,
                                                    const model::ModelRequest& req);

// Parses an answer of any status. 2xx: text blocks (joined by "\n") and tool_use blocks become
// the assistant message; stop_reason, model and usage are copied (cache read/creation tokens are
// counted as input). Non-2xx: the API's error message (see api_error). A 2xx body that is not a
// message: unavailable.
Result<model::ModelResponse> parse_anthropic_response(long status, const std::string& body);

}  // namespace harness::model_api
