#pragma once
// Helpers shared by the provider mappings: safe JSON parsing of response bodies, the error a
// non-2xx answer becomes, and base URL joining. Pure functions, no I/O (token_field logs).

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/conversation.hpp"
#include "lib/model/leaf.hpp"

namespace harness::model_api {

// Parses a response body; unavailable naming `provider` when it is not JSON (an upstream fault).
// Bytes that are not UTF-8 (inside strings or not) are repaired with U+FFFD first, so a body
// with a stray byte in a string still parses and nothing downstream sees invalid UTF-8.
Result<model::Json> parse_body(std::string_view provider, const std::string& body);

// The ErrorCode for a model API's HTTP status: 400 bad_request, 401 unauthorized,
// 403 forbidden, 404 not_found, 408/504 timeout, 413 too_large, 429/5xx unavailable,
// other 4xx invalid.
ErrorCode error_code_for_status(long status);

// The Error for a non-2xx answer. Both Anthropic ({"type":"error","error":{"type","message"}})
// and OpenAI ({"error":{"message","type","code"}}) put the text in error.message; other bodies
// are quoted (truncated). E.g. "anthropic API error 529 (overloaded_error): Overloaded". The
// message is valid UTF-8 whatever the body held.
Error api_error(std::string_view provider, long status, const std::string& body);

// obj[name] when it is a string (resp. an integer in int64 range), else "" (resp. 0). Never
// throws.
std::string string_field(const model::Json& obj, std::string_view name);
std::int64_t int_field(const model::Json& obj, std::string_view name);
// A token count of a provider's usage object: int_field clamped to 0..k_max_tokens, with a
// warning logged when the provider sent a negative or absurd number.
inline constexpr std::int64_t k_max_tokens = 1'000'000'000'000;
std::int64_t token_field(std::string_view provider, const model::Json& usage,
                         std::string_view name);

// The max_tokens to send: the smaller of the profile's and the request's; <= 0 means unset.
int effective_max_tokens(int profile_max, int request_max);

// base_url (or `fallback` when empty) without trailing slashes, followed by `path`.
std::string join_url(const std::string& base_url, std::string_view fallback, std::string_view path);

// Appends to `out` the wire text of `messages` joined by commas (the inside of a JSON array):
// message i's text is taken from `wire` when it holds it, else made by `one` and kept in `wire`
// (model::WireCache; a cache of another `format`, or longer than `messages`, is started afresh).
// `wire` may be null. An empty `one` result adds nothing (no comma).
using WireMessageFn = std::function<std::string(const model::Message&)>;
void append_wire_messages(std::string& out, std::string_view format,
                          const std::vector<model::Message>& messages, model::WireCache* wire,
                          const WireMessageFn& one);

}  // namespace harness::model_api
