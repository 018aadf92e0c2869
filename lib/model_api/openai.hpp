#pragma once
// OpenAI Chat Completions (POST {base}/chat/completions), the dialect Ollama, vLLM, llama.cpp
// server and LiteLLM also speak: neutral request → wire request, wire response → neutral
// response. Pure functions, no I/O.

#include <string>

#include "lib/base/result.hpp"
#include "lib/http/client.hpp"
#include "lib/model/conversation.hpp"
#include "lib/model/profiles.hpp"

namespace harness::model_api {

// Used when profile.base_url is empty (base URLs include /v1).
inline constexpr std::string_view k_openai_default_base = "https://api.openai.com/v1";

// Builds the HTTP request: `Authorization: Bearer KEY` (omitted when `api_key` is empty).
// A neutral user message with tool results becomes one role:"tool" message per result (an error
// result's content is prefixed "[tool error] ", the format has no flag for it), followed by a
// role:"user" message when it also has text. Assistant tool calls carry their input as a JSON
// string; content is null when such a message has no text. max_tokens as for Anthropic.
Result<http::ClientRequest> build_openai_request(const model::ModelProfile& profile,
                                                 const std::string& api_key,
                                                 const model::ModelRequest& req);

// Parses an answer of any status. 2xx: choices[0].message → text + tool calls, finish_reason →
// stop_reason, usage.prompt_tokens/completion_tokens, model. A tool call whose `arguments` is not
// a JSON object is kept with input {} and a note appended to the text saying so (the model then
// sees its mistake in the next turn, instead of the leaf failing); arguments given as an object
// are accepted as is; a missing id becomes "call_<i>". Non-2xx: the API's error message.
Result<model::ModelResponse> parse_openai_response(long status, const std::string& body);

}  // namespace harness::model_api
