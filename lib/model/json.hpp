#pragma once
// The JSON boundary: serialising that never throws, non-throwing typed reads of untrusted JSON
// (model responses, request bodies, tool inputs, events read back), and UTF-8 repair of
// strings built from raw bytes. No I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lib/base/json_dump.hpp"

namespace harness::model {

using Json = nlohmann::json;

// dump_json(j, indent): serialises without ever throwing (lib/base/json_dump.hpp).
using harness::dump_json;

// obj[key] when `obj` is an object holding `key` with that type; otherwise `fallback`. Never
// throws. int_at accepts integers and integral floats within int64 range.
std::string str_at(const Json& obj, std::string_view key, std::string_view fallback = {});
std::int64_t int_at(const Json& obj, std::string_view key, std::int64_t fallback = 0);
bool bool_at(const Json& obj, std::string_view key, bool fallback = false);
// obj[key] when it is an object, else a static empty object.
const Json& object_at(const Json& obj, std::string_view key);

// Replaces invalid UTF-8 in every string and object key of `j` by U+FFFD, in place; returns
// whether anything changed. Valid JSON is walked but not copied.
bool repair_strings(Json& j);

}  // namespace harness::model
