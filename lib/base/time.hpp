#pragma once
// Wall-clock helpers. Timestamps are milliseconds since the Unix epoch (UTC).

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"

namespace harness {

using TimeMs = std::int64_t;

// Milliseconds since the epoch, from the system clock.
TimeMs now_ms();
// "2026-11-22T10:04:05.123Z".
std::string format_rfc3339(TimeMs t);
// Inverse of format_rfc3339 (also accepts no fraction); invalid on anything else.
Result<TimeMs> parse_rfc3339(std::string_view s);
// "90s", "5m", "1h", "1h30m", "250ms", a bare number means seconds. Returns milliseconds;
// bad_request naming the text when malformed or negative.
Result<std::int64_t> parse_duration_ms(std::string_view s);
// 1500 -> "1.5s", 90000 -> "1m30s": short human form for messages.
std::string format_duration_ms(std::int64_t ms);

}  // namespace harness
