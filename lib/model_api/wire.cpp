#include "lib/model_api/wire.hpp"

#include <algorithm>

namespace harness::model_api {
namespace {

constexpr size_t k_quoted_body_max = 300;

std::string quote_body(const std::string& body) {
  if (body.empty()) return "(empty body)";
  if (body.size() <= k_quoted_body_max) return body;
  return body.substr(0, k_quoted_body_max) + "…";
}

}  // namespace

Result<model::Json> parse_body(std::string_view provider, const std::string& body) {
  auto j = model::Json::parse(body, nullptr, /*allow_exceptions=*/false);
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
  auto j = model::Json::parse(body, nullptr, false);
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
  return it != obj.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

int effective_max_tokens(int profile_max, int request_max) {
  if (profile_max <= 0) return request_max;
  if (request_max <= 0) return profile_max;
  return std::min(profile_max, request_max);
}

std::string join_url(const std::string& base_url, std::string_view fallback,
                     std::string_view path) {
  std::string url = base_url.empty() ? std::string(fallback) : base_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + std::string(path);
}

}  // namespace harness::model_api
