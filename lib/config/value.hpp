#pragma once
// Values of config keys: what a layer supplies (RawValue), checking it against the key's row
// (convert), storing it into the struct the row points at, and writing it back as TOML.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/config/keys.hpp"

namespace harness::config {

// A value as one layer supplies it, before it is checked against its key.
struct RawValue {
  enum class Type { text, string, integer, floating, boolean, string_array, other };
  Type type = Type::text;  // text: from a default, the environment or a flag; parsed per kind
  std::string text = {};   // text, string; for other: the TOML type's name
  std::int64_t integer = 0;
  double number = 0;  // floating
  bool boolean = false;
  std::vector<std::string> strings = {};

  static RawValue from_text(std::string_view s) { return {Type::text, std::string(s)}; }
};

// A checked value, in the form its slot stores.
using Value = std::variant<std::string, std::int64_t, bool, std::vector<std::string>, double>;

// Checks `raw` against `key` (type, bounds, choices, check). On failure the error message says
// what was expected and what was given, without the location or key name (the caller adds them).
Result<Value> convert(const KeySpec& key, const RawValue& raw);
// Stores `value` (from convert for the same key) into the target's member for `key`.
void store(const KeySpec& key, const Target& target, const Value& value);
// The current value of `key` in the target.
Value load(const KeySpec& key, const ConstTarget& target);
// `value` of `key` written as a TOML value ("1h", 8, ["a"], "sha256:…").
std::string render_toml(const KeySpec& key, const Value& value);
// A TOML basic string literal with quotes and escapes.
std::string quote_toml(std::string_view s);

}  // namespace harness::config
