#pragma once
// The only user of toml++: turns TOML text into a flat list of entries with their positions, so
// the rest of lib/config deals in RawValue and never sees a toml::node (or an exception).

#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/config/value.hpp"

namespace harness::config {

struct TomlEntry {
  std::vector<std::string> path;  // {"models", "local", "provider"}
  bool is_table = false;          // a table (header, inline or implicit); then `value` is unused
  RawValue value = {};
  int line = 0;  // of the key, 1-based; 0 when unknown
  int column = 0;
};

// Every table and value of the document, each table before its contents. Malformed TOML is
// bad_request "SOURCE:LINE:COL: <what is wrong>".
Result<std::vector<TomlEntry>> read_toml(std::string_view text, const std::string& source_name);

}  // namespace harness::config
