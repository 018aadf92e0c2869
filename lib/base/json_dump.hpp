#pragma once
// The one way to serialise JSON in this project.

#include <string>

#include <nlohmann/json.hpp>

namespace harness {

// `j` as text (`indent` < 0: compact), with invalid UTF-8 in any string or key replaced by
// U+FFFD. Never throws: strings may hold any bytes (tool output, file names, error pages).
inline std::string dump_json(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace harness
