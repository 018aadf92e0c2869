#pragma once
// Shared bits of the config tests.

#include <string>
#include <string_view>

#include "lib/base/result.hpp"

namespace harness::config::test {

// The error message, or "" on success: safe in doctest messages, which `-s` evaluates always.
template <class T>
std::string why(const Result<T>& r) {
  return r.has_value() ? std::string() : r.error().message;
}

inline bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace harness::config::test
