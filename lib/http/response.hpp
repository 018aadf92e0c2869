#pragma once
// Wire formatting of HTTP/1.1 responses: status lines, heads, chunk framing and the API's JSON
// error body. Pure functions.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/base/json_dump.hpp"
#include "lib/base/result.hpp"

namespace harness::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// "OK", "Not Found", ...; "Unknown" for codes we never send.
std::string_view reason_phrase(int status);

struct ResponseHead {
  int status = 200;
  std::string_view content_type;
  const HeaderList* extra = nullptr;
  std::optional<size_t> content_length;  // nullopt: chunked (HTTP/1.1) or until close (1.0)
  bool close = false;                    // adds Connection: close
  bool http10 = false;                   // answer an HTTP/1.0 client in its own dialect
};

// The status line and headers up to and including the blank line. CR/LF inside header names or
// values are replaced by spaces so a handler cannot inject headers.
std::string format_head(const ResponseHead& head);
// One chunk of a chunked body; empty data yields nothing (an empty chunk would end the body).
std::string format_chunk(std::string_view data);
// The terminating zero-length chunk.
inline constexpr std::string_view k_last_chunk = "0\r\n\r\n";
// {"error":{"code":..., "message":...}} as in docs/api.md.
nlohmann::json error_json(const Error& e);
// dump_json(j): serialises without ever throwing (lib/base/json_dump.hpp).
using harness::dump_json;

}  // namespace harness::http
