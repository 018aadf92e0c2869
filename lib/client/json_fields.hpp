#pragma once
// Lenient readers for fields of the API's JSON objects, shared by the formatters: a missing,
// null or mistyped field yields the fallback instead of throwing, so a newer daemon never
// breaks an older client.

#include <cmath>
#include <cstdint>
#include <string>

#include "lib/model/json.hpp"

namespace harness::client::jf {

using Json = nlohmann::json;

// j[key] when it is a string, else `fallback`.
inline std::string str(const Json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

// j[key] when it is a number that fits an int64 (fractions truncated), else `fallback`.
inline std::int64_t num(const Json& j, const char* key, std::int64_t fallback = 0) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return fallback;
  if (it->is_number_float()) {
    double d = it->get<double>();
    return std::isfinite(d) && std::fabs(d) < 9.2e18 ? static_cast<std::int64_t>(d) : fallback;
  }
  return model::int_at(j, key, fallback);
}

// j[key] when it is `true`; false for anything else.
inline bool flag(const Json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// j[key] when it is an object, else an empty object (a static; never dangling).
inline const Json& obj(const Json& j, const char* key) {
  static const Json k_empty = Json::object();
  if (!j.is_object()) return k_empty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : k_empty;
}

}  // namespace harness::client::jf
