#pragma once
// Human-readable rendering of API objects: live event lines, leaf status, the `ls` table and the
// one-line summary. Pure functions over the API's JSON (docs/api.md); missing or mistyped fields
// render as "-" rather than failing, so a newer daemon never breaks an older client.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "lib/base/json_dump.hpp"
#include "lib/base/time.hpp"

namespace harness::client {

using Json = nlohmann::json;

// ANSI styling, a no-op unless `color` is set (a TTY and no NO_COLOR / --no-color).
struct Style {
  bool color = false;
  std::string dim(const std::string& s) const { return wrap("2", s); }
  std::string bold(const std::string& s) const { return wrap("1", s); }
  std::string red(const std::string& s) const { return wrap("31", s); }
  std::string green(const std::string& s) const { return wrap("32", s); }
  std::string yellow(const std::string& s) const { return wrap("33", s); }
  std::string wrap(const char* sgr, const std::string& s) const {
    return color ? "\x1b[" + std::string(sgr) + "m" + s + "\x1b[0m" : s;
  }
};

// 1204 -> "1,204".
std::string group_thousands(std::int64_t n);
// First line of `s`, cut to `max` characters with "…" when longer.
std::string first_line(const std::string& s, size_t max);
// The state word, colored by outcome.
std::string styled_state(const std::string& state, const Style& st);
// One event as display lines (each ending in '\n'); "" for events not worth a line (heartbeats,
// model_request). Used by the live view and `logs`.
std::string format_event(const Json& event, const Style& st);
// "succeeded (completed) · 3 turns · 1,204 in / 88 out tokens · 12.3s".
std::string format_summary(const Json& leaf, const Style& st);
// `status`: aligned "key: value" lines.
std::string format_status(const Json& leaf, const Style& st);
// `ls`: a table with a header; `wide` adds SESSION, REASON, LABELS. `now` computes AGE.
std::string format_table(const Json& leaves, bool wide, TimeMs now, const Style& st);
// 42s, 5m, 3h, 2d: how long ago `created_at` (RFC 3339) was.
std::string format_age(const std::string& rfc3339, TimeMs now);

}  // namespace harness::client
