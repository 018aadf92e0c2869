#pragma once
// Turning script answers into our types: leaf rows, events, and errors. Everything read from
// Redis is untrusted input (another process may have written it): nothing here throws, and a
// malformed value is an `internal` error naming what was broken.

#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/leaf.hpp"
#include "lib/store/redis/reply.hpp"

namespace harness::store::redis {

// A leaf from its stored row.
Result<model::Leaf> leaf_from_row(const Reply& row);
// Leaf rows from elements [first, end) of an array answer; nil elements (a row that vanished)
// are skipped.
Result<std::vector<model::Leaf>> leaves_from(const Reply& answer, size_t first);
// An event from a stream entry [ "SEQ-0", [field, value, ...] ] of `session`.
Result<model::Event> event_from_entry(const Reply& entry, const std::string& session);
// A number from a string reply ("" or junk: internal).
Result<std::int64_t> int_from(const Reply& r, std::string_view what);

// The error for a Redis error reply: unavailable for conditions that pass (LOADING, BUSY,
// READONLY, OOM, MISCONF, NOAUTH, MASTERDOWN, TRYAGAIN), internal otherwise. The message
// starts with "redis ENDPOINT: ".
Error redis_error(const Reply& r, const std::string& endpoint);
// The error for a script answer that is not "ok": not_found/conflict with the script's message,
// a Redis error reply (see redis_error), or internal for anything unexpected.
Error answer_error(const Reply& r, const std::string& endpoint);

}  // namespace harness::store::redis
