#include "lib/model_api/wire.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "lib/base/utf8.hpp"

namespace harness::model_api {
namespace {

constexpr size_t k_quoted_body_max = 300;

std::string quote_body(const std::string& body) {
  if (body.empty()) return "(empty body)";
  std::string quoted = repair_utf8(utf8_prefix(body, k_quoted_body_max));
  return body.size() <= k_quoted_body_max ? quoted : quoted + "…";
}

// The body as valid UTF-8, copied only when it needs repair.
const std::string& repaired(const std::string& body, std::string& storage) {
  if (valid_utf8(body)) return body;
  storage = repair_utf8(body);
  return storage;
}

}  // namespace

Result<model::Json> parse_body(std::string_view provider, const std::string& body) {
  std::string storage;
  auto j = model::Json::parse(repaired(body, storage), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return make_error(
        ErrorCode::unavailable,
        std::string(provider) + " API returned a body that is not JSON: " + quote_body(body));
  return j;
}

ErrorCode error_code_for_status(long status) {
  switch (status) {
    case 400:
      return ErrorCode::bad_request;
    case 401:
      return ErrorCode::unauthorized;
    case 403:
      return ErrorCode::forbidden;
    case 404:
      return ErrorCode::not_found;
    case 408:
    case 504:
      return ErrorCode::timeout;
    case 413:
      return ErrorCode::too_large;
    case 429:
      return ErrorCode::unavailable;
    default:
      return status >= 500 ? ErrorCode::unavailable : ErrorCode::invalid;
  }
}

Error api_error(std::string_view provider, long status, const std::string& body) {
  std::string text = std::string(provider) + " API error " + std::to_string(status);
  std::string storage;
  auto j = model::Json::parse(repaired(body, storage), nullptr, false);
  const model::Json* err = nullptr;
  if (j.is_object() && j.contains("error") && j["error"].is_object()) err = &j["error"];
  if (err && !string_field(*err, "message").empty()) {
    if (auto type = string_field(*err, "type"); !type.empty()) text += " (" + type + ")";
    text += ": " + string_field(*err, "message");
  } else {
    text += ": " + quote_body(body);
  }
  return make_error(error_code_for_status(status), std::move(text));
}

std::string string_field(const model::Json& obj, std::string_view name) {
  if (!obj.is_object()) return "";
  auto it = obj.find(name);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t int_field(const model::Json& obj, std::string_view name) {
  if (!obj.is_object()) return 0;
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_number_integer()) return 0;
  return model::int_at(obj, name);
}

std::int64_t token_field(std::string_view provider, const model::Json& usage,
                         std::string_view name) {
  std::int64_t n = int_field(usage, name);
  if (n >= 0 && n <= k_max_tokens) return n;
  spdlog::warn("{} API reported {} = {} in its usage; counted as {}", provider, name, n,
               n < 0 ? 0 : k_max_tokens);
  return n < 0 ? 0 : k_max_tokens;
}

int effective_max_tokens(int profile_max, int request_max) {
  if (profile_max <= 0) return request_max;
  if (request_max <= 0) return profile_max;
  return std::min(profile_max, request_max);
}

void append_wire_messages(std::string& out, std::string_view format,
                          const std::vector<model::Message>& messages, model::WireCache* wire,
                          const WireMessageFn& one) {
  model::WireCache scratch;
  if (!wire) wire = &scratch;
  if (wire->format != format || wire->messages.size() > messages.size()) {
    wire->format = std::string(format);
    wire->messages.clear();
  }
  wire->messages.reserve(messages.size());
  for (size_t i = wire->messages.size(); i < messages.size(); ++i)
    wire->messages.push_back(one(messages[i]));
  size_t total = out.size();
  for (const auto& m : wire->messages) total += m.size() + 1;
  out.reserve(total + 256);  // room for the rest of the body
  bool first = true;
  for (const auto& m : wire->messages) {
    if (m.empty()) continue;
    if (!first) out += ',';
    out += m;
    first = false;
  }
}

std::string join_url(const std::string& base_url, std::string_view fallback,
                     std::string_view path) {
  std::string url = base_url.empty() ? std::string(fallback) : base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + std::string(path);
}

}  // namespace harness::model_api
