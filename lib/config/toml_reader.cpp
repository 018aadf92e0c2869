#include "lib/config/toml_reader.hpp"

#include <toml++/toml.h>

namespace harness::config {
namespace {

std::string type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    default:
      return "value";
  }
}

RawValue raw_of_array(const toml::array& arr) {
  RawValue raw{RawValue::Type::string_array};
  for (const toml::node& item : arr) {
    const auto* s = item.as_string();
    if (!s) return RawValue{RawValue::Type::other, "array of " + type_name(item.type()) + "s"};
    raw.strings.push_back(s->get());
  }
  return raw;
}

RawValue raw_of(const toml::node& node) {
  if (const auto* s = node.as_string()) return RawValue{RawValue::Type::string, s->get()};
  if (const auto* i = node.as_integer()) {
    RawValue raw{RawValue::Type::integer};
    raw.integer = i->get();
    return raw;
  }
  if (const auto* f = node.as_floating_point()) {
    RawValue raw{RawValue::Type::floating};
    raw.number = f->get();
    return raw;
  }
  if (const auto* b = node.as_boolean()) {
    RawValue raw{RawValue::Type::boolean};
    raw.boolean = b->get();
    return raw;
  }
  if (const auto* a = node.as_array()) return raw_of_array(*a);
  return RawValue{RawValue::Type::other, type_name(node.type())};
}

void flatten(const toml::table& table, std::vector<std::string>& path,
             std::vector<TomlEntry>& out) {
  for (const auto& [key, node] : table) {
    path.emplace_back(key.str());
    TomlEntry entry{path};
    entry.line = static_cast<int>(key.source().begin.line);
    entry.column = static_cast<int>(key.source().begin.column);
    if (entry.line == 0) {  // implicit tables may carry no key position; use the node's
      entry.line = static_cast<int>(node.source().begin.line);
      entry.column = static_cast<int>(node.source().begin.column);
    }
    entry.is_table = node.is_table();
    if (!entry.is_table) entry.value = raw_of(node);
    out.push_back(std::move(entry));
    if (const auto* sub = node.as_table()) flatten(*sub, path, out);
    path.pop_back();
  }
}

}  // namespace

Result<std::vector<TomlEntry>> read_toml(std::string_view text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return make_error(ErrorCode::bad_request, source_name + ":" +
                                                  std::to_string(e.source().begin.line) + ":" +
                                                  std::to_string(e.source().begin.column) + ": " +
                                                  std::string(e.description()));
  }
  std::vector<TomlEntry> out;
  std::vector<std::string> path;
  flatten(root, path, out);
  return out;
}

}  // namespace harness::config
