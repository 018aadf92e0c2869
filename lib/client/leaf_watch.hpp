#pragma once
// Blocking helpers shared by wait, run, submit --wait/--follow and logs -f: long-polling a leaf
// to a terminal state and following its NDJSON event stream. Both stop on Ctrl-C (the caller
// sees an error and interrupted() is true).

#include <functional>
#include <optional>
#include <string>

#include "lib/base/result.hpp"
#include "lib/base/time.hpp"
#include "lib/client/api_client.hpp"

namespace harness::client {

// Long-polls GET /v1/leaves/{id}/wait until the leaf is terminal or `deadline` (epoch ms;
// nullopt = no deadline) passes. Returns the last leaf object seen (non-terminal on timeout).
Result<Json> wait_for_leaf(ApiClient& client, const std::string& id,
                           std::optional<TimeMs> deadline);

// Follows GET /v1/leaves/{id}/events?after=SEQ&follow=1, calling `on_event` once for each event
// (heartbeats skipped). A stream that drops is reconnected from the last seq seen, without gap or
// duplicate. Returns the leaf from the stream's final {"type":"end"} line, or nullopt when the
// stream kept dropping without progress (or failed after some output).
Result<std::optional<Json>> follow_events(ApiClient& client, const std::string& id,
                                          std::int64_t after,
                                          const std::function<void(const Json&)>& on_event);

// True when the leaf object's state is terminal.
bool leaf_is_terminal(const Json& leaf);
// A string field of an API object, "" when absent, null or not a string.
std::string field(const Json& object, const char* key);
// The wait exit code for a leaf object (exit_code_for_leaf of its state and reason).
int leaf_exit_code(const Json& leaf);

}  // namespace harness::client
