#pragma once
// Shared bits of the config tests.

#include <map>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"
#include "lib/config/config.hpp"
#include "lib/config/environment.hpp"

namespace harness::config::test {

// The error message, or "" on success: safe in doctest messages, which `-s` evaluates always.
template <class T>
std::string why(const Result<T>& r) {
  return r.has_value() ? std::string() : r.error().message;
}

// An ordinary user's environment (uid 1000, HOME=/home/u), plus `vars`.
inline Environment user_env(std::map<std::string, std::string, std::less<>> vars = {}) {
  Environment env;
  env.uid = 1000;
  env.vars = {{"HOME", "/home/u"}};
  env.vars.insert(vars.begin(), vars.end());
  return env;
}

// `text` loaded as /etc/harness/harnessd.toml in user_env(vars).
inline Result<Config> parse(std::string_view text,
                            std::map<std::string, std::string, std::less<>> vars = {}) {
  return parse_config(text, "/etc/harness/harnessd.toml", {}, user_env(std::move(vars)));
}

inline bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace harness::config::test
