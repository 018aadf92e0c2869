#include "lib/model/json.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "lib/base/utf8.hpp"

namespace harness::model {

namespace {
const Json* field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}
}  // namespace

std::string str_at(const Json& obj, std::string_view key, std::string_view fallback) {
  const Json* v = field(obj, key);
  return v && v->is_string() ? v->get_ref<const std::string&>() : std::string(fallback);
}

std::int64_t int_at(const Json& obj, std::string_view key, std::int64_t fallback) {
  const Json* v = field(obj, key);
  if (!v) return fallback;
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? fallback
               : static_cast<std::int64_t>(u);
  }
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (std::isfinite(d) && std::floor(d) == d && d >= -9223372036854775808.0 &&
        d < 9223372036854775808.0)
      return static_cast<std::int64_t>(d);
  }
  return fallback;
}

bool bool_at(const Json& obj, std::string_view key, bool fallback) {
  const Json* v = field(obj, key);
  return v && v->is_boolean() ? v->get<bool>() : fallback;
}

const Json& object_at(const Json& obj, std::string_view key) {
  static const Json k_empty = Json::object();
  const Json* v = field(obj, key);
  return v && v->is_object() ? *v : k_empty;
}

bool repair_strings(Json& j) {
  if (j.is_string()) return repair_utf8_in_place(j.get_ref<std::string&>());
  bool changed = false;
  if (j.is_array()) {
    for (auto& v : j) changed = repair_strings(v) || changed;
  } else if (j.is_object()) {
    std::vector<std::string> bad_keys;
    for (auto it = j.begin(); it != j.end(); ++it) {
      changed = repair_strings(it.value()) || changed;
      if (!valid_utf8(it.key())) bad_keys.push_back(it.key());
    }
    for (const auto& k : bad_keys) {
      Json v = std::move(j[k]);
      j.erase(k);
      j[repair_utf8(k)] = std::move(v);
      changed = true;
    }
  }
  return changed;
}

}  // namespace harness::model
