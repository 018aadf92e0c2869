#pragma once
// Request-target decoding: percent-decoding and query splitting. Pure functions.

#include <map>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"

namespace harness::http {

// Percent-decodes `s`; `+` becomes a space when `plus_is_space` (query strings). A malformed
// escape such as "%zz" is kept literally.
std::string percent_decode(std::string_view s, bool plus_is_space);

struct Target {
  std::string path;                          // decoded, without the query
  std::map<std::string, std::string> query;  // decoded; a repeated key keeps its last value
  std::multimap<std::string, std::string> query_all;  // every pair, repeated keys included
};

// Splits an origin-form ("/a/b?x=1") or absolute-form ("http://h/a?x=1") request target.
// bad_request for other forms, or when the decoded path holds a NUL byte.
Result<Target> parse_target(std::string_view target);

}  // namespace harness::http
