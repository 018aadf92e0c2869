#include "lib/config/value.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "lib/base/time.hpp"
#include "lib/config/sha256.hpp"

namespace harness::config {
namespace {

using Type = RawValue::Type;

// Shortest text that reads back as the same double, with a '.' so TOML reads a float.
std::string render_decimal(double d) {
  char buf[32];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

// "\"abc\"", "42", "true", "an array", "a table": the given value, for "got ..." in messages.
std::string describe(const RawValue& raw) {
  switch (raw.type) {
    case Type::text:
    case Type::string:
      return quote_toml(raw.text);
    case Type::integer:
      return std::to_string(raw.integer);
    case Type::floating:
      return "a float (" + render_decimal(raw.number) + ")";
    case Type::boolean:
      return raw.boolean ? "true" : "false";
    case Type::string_array:
      return "an array of strings";
    case Type::other:
      return "a " + raw.text;
  }
  return "?";
}

Error expected(std::string_view what, const RawValue& raw) {
  return make_error(ErrorCode::invalid, "expected " + std::string(what) + ", got " + describe(raw));
}

// "90s", "1h", "250ms": exact, so that parse_duration_ms gives back the same milliseconds.
std::string render_duration(std::int64_t ms) {
  struct Unit {
    std::int64_t ms;
    const char* suffix;
  };
  for (Unit u : {Unit{86'400'000, "d"}, Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1000, "s"}})
    if (ms != 0 && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.suffix;
  return ms == 0 ? "0s" : std::to_string(ms) + "ms";
}

bool is_text(const RawValue& raw) {
  return raw.type == Type::text || raw.type == Type::string;
}

Result<Value> convert_string(const KeySpec& key, const RawValue& raw) {
  if (!is_text(raw)) return expected("a string", raw);
  if (key.kind == Kind::choice) {
    std::string_view rest = key.choices;
    while (!rest.empty()) {
      auto bar = rest.find('|');
      if (rest.substr(0, bar) == raw.text) return Value(raw.text);
      rest = bar == std::string_view::npos ? "" : rest.substr(bar + 1);
    }
    return expected("one of " + std::string(key.choices), raw);
  }
  if (key.check) {
    if (std::string allowed = key.check(raw.text); !allowed.empty()) return expected(allowed, raw);
  }
  return Value(raw.text);
}

std::string bounds(const KeySpec& key) {
  if (key.kind == Kind::duration)
    return "from " + render_duration(key.min) + " to " + render_duration(key.max);
  return "from " + std::to_string(key.min) + " to " + std::to_string(key.max);
}

Result<Value> convert_number(const KeySpec& key, const RawValue& raw) {
  std::int64_t n = 0;
  if (key.kind == Kind::duration) {
    if (!is_text(raw)) return expected("a duration string like \"90s\", \"5m\", \"1h\"", raw);
    auto ms = parse_duration_ms(raw.text);
    if (!ms) return expected("a duration like \"90s\", \"5m\", \"1h\"", raw);
    n = *ms;
  } else if (raw.type == Type::integer) {
    n = raw.integer;
  } else {
    const char* end = raw.text.data() + raw.text.size();
    auto [ptr, ec] = std::from_chars(raw.text.data(), end, n);
    if (raw.type != Type::text || raw.text.empty() || ec != std::errc() || ptr != end)
      return expected("an integer " + bounds(key), raw);
  }
  if (n < key.min || n > key.max) return expected("a value " + bounds(key), raw);
  return Value(n);
}

Result<Value> convert_decimal(const KeySpec& key, const RawValue& raw) {
  double d = 0;
  if (raw.type == Type::floating) {
    d = raw.number;
  } else if (raw.type == Type::integer) {
    d = static_cast<double>(raw.integer);
  } else {
    char* end = nullptr;
    d = raw.type == Type::text && !raw.text.empty() ? std::strtod(raw.text.c_str(), &end) : 0;
    if (raw.type != Type::text || raw.text.empty() || end != raw.text.c_str() + raw.text.size())
      return expected("a number " + bounds(key), raw);
  }
  if (!std::isfinite(d) || d < static_cast<double>(key.min) || d > static_cast<double>(key.max))
    return expected("a number " + bounds(key), raw);
  return Value(d);
}

Result<Value> convert_boolean(const RawValue& raw) {
  if (raw.type == Type::boolean) return Value(raw.boolean);
  if (raw.type == Type::text && (raw.text == "true" || raw.text == "false"))
    return Value(raw.text == "true");
  return expected("true or false", raw);
}

// Defaults and environment values give lists as comma-separated text.
std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    s = comma == std::string_view::npos ? "" : s.substr(comma + 1);
  }
  return out;
}

Result<std::string> token_hash(std::string_view token, const RawValue& raw) {
  if (token.starts_with("sha256:")) {
    std::string hex(token.substr(7));
    bool ok = hex.size() == 64 && hex.find_first_not_of("0123456789abcdefABCDEF") == hex.npos;
    if (!ok) return expected("\"sha256:\" followed by 64 hex digits", raw);
    for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return hex;
  }
  if (token.size() < 8 || token.find_first_of(" \t\r\n") != std::string_view::npos)
    return expected("tokens of at least 8 characters without whitespace, or \"sha256:HEX\"", raw);
  return sha256_hex(token);
}

// One token (Kind::token) or its hash (Kind::sha256). "" from a default means "not given".
Result<Value> convert_secret(const KeySpec& key, const RawValue& raw) {
  if (!is_text(raw)) return expected("a string", raw);
  if (raw.type == Type::text && raw.text.empty()) return Value(std::string());
  if (key.kind == Kind::token) {
    if (raw.text.starts_with("sha256:"))
      return expected("a plain token (use sha256 = \"HEX\")", raw);
    HARNESS_TRY_ASSIGN(std::string hex, token_hash(raw.text, raw));
    return Value(std::move(hex));
  }
  HARNESS_TRY_ASSIGN(std::string hex, token_hash("sha256:" + raw.text, raw));
  return Value(std::move(hex));
}

Result<Value> convert_list(const KeySpec& key, const RawValue& raw) {
  std::vector<std::string> items;
  if (raw.type == Type::string_array)
    items = raw.strings;
  else if (raw.type == Type::text)
    items = split_commas(raw.text);
  else
    return expected("an array of strings", raw);
  for (std::string& item : items) {
    RawValue one{Type::string, item};
    if (key.kind == Kind::token_list) {
      HARNESS_TRY_ASSIGN(item, token_hash(item, one));
    } else if (key.check) {
      if (std::string allowed = key.check(item); !allowed.empty()) return expected(allowed, one);
    }
  }
  return Value(std::move(items));
}

// The member `key.slot` points at, in whichever struct of the target it belongs to.
// Constness of the member follows the target's (Target or ConstTarget).
template <class TargetT, class F>
void with_field(const KeySpec& key, const TargetT& t, F&& f) {
  std::visit(
      [&](auto member) {
        auto pick = [&]<class T, class C>(T C::*m) -> auto& {
          if constexpr (std::is_same_v<C, Config>)
            return (HARNESS_ASSERT(t.config), t.config->*m);
          else if constexpr (std::is_same_v<C, model::ModelProfile>)
            return (HARNESS_ASSERT(t.model), t.model->*m);
          else if constexpr (std::is_same_v<C, model::SandboxProfile>)
            return (HARNESS_ASSERT(t.sandbox), t.sandbox->*m);
          else if constexpr (std::is_same_v<C, model::Policy>)
            return (HARNESS_ASSERT(t.policy), t.policy->*m);
          else if constexpr (std::is_same_v<C, AuthConfig>)
            return (HARNESS_ASSERT(t.auth), t.auth->*m);
          else if constexpr (std::is_same_v<C, ScheduleConfig>)
            return (HARNESS_ASSERT(t.schedule), t.schedule->*m);
          else if constexpr (std::is_same_v<C, NotifierConfig>)
            return (HARNESS_ASSERT(t.notifier), t.notifier->*m);
          else
            return (HARNESS_ASSERT(t.token), t.token->*m);
        };
        f(pick(member));
      },
      key.slot);
}

}  // namespace

Result<Value> convert(const KeySpec& key, const RawValue& raw) {
  switch (key.kind) {
    case Kind::string:
    case Kind::path:
    case Kind::choice:
      return convert_string(key, raw);
    case Kind::integer:
    case Kind::duration:
      return convert_number(key, raw);
    case Kind::decimal:
      return convert_decimal(key, raw);
    case Kind::boolean:
      return convert_boolean(raw);
    case Kind::string_list:
    case Kind::token_list:
      return convert_list(key, raw);
    case Kind::token:
    case Kind::sha256:
      return convert_secret(key, raw);
  }
  return expected("a known kind", raw);
}

void store(const KeySpec& key, const Target& target, const Value& value) {
  with_field(key, target, [&](auto& field) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, int> || std::is_same_v<T, std::int64_t>) {
      HARNESS_ASSERT(std::holds_alternative<std::int64_t>(value));
      field = static_cast<T>(std::get<std::int64_t>(value));
    } else if constexpr (std::is_same_v<T, std::vector<model::Rule>>) {
      field.clear();  // convert() already checked every rule
      for (const std::string& text : std::get<std::vector<std::string>>(value))
        field.push_back(*model::parse_rule(text));
    } else if constexpr (std::is_same_v<T, model::Verdict>) {
      field = *model::parse_verdict(std::get<std::string>(value));
    } else {
      HARNESS_ASSERT(std::holds_alternative<T>(value));
      field = std::get<T>(value);
    }
  });
}

Value load(const KeySpec& key, const ConstTarget& target) {
  Value out;
  with_field(key, target, [&](auto& field) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, int>) {
      out = static_cast<std::int64_t>(field);
    } else if constexpr (std::is_same_v<T, std::vector<model::Rule>>) {
      std::vector<std::string> texts;
      for (const model::Rule& r : field) texts.push_back(r.text);
      out = std::move(texts);
    } else if constexpr (std::is_same_v<T, model::Verdict>) {
      out = std::string(model::to_string(field));
    } else {
      out = field;
    }
  });
  return out;
}

std::string render_toml(const KeySpec& key, const Value& value) {
  if (key.kind == Kind::duration) return quote_toml(render_duration(std::get<std::int64_t>(value)));
  if (auto* n = std::get_if<std::int64_t>(&value)) return std::to_string(*n);
  if (auto* d = std::get_if<double>(&value)) return render_decimal(*d);
  if (auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (auto* s = std::get_if<std::string>(&value)) return quote_toml(*s);
  std::string out = "[";
  for (const std::string& item : std::get<std::vector<std::string>>(value)) {
    if (out.size() > 1) out += ", ";
    out += quote_toml(key.kind == Kind::token_list ? "sha256:" + item : item);
  }
  return out + "]";
}

std::string quote_toml(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace harness::config
