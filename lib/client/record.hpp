#pragma once
// --record FILE of submit, run, resume and fork (harnessctl(1) "RECORD AND REPLAY"): harnessctl
// itself, as the calling user, writes the replay file from the model_response events the daemon
// persisted, once the leaf has ended. The daemon never writes a caller-named path. The events
// are redacted before they are stored, so a recording holds redacted text where secrets were.

#include <string>

#include "lib/base/result.hpp"
#include "lib/client/api_client.hpp"

namespace harness::client {

// The replay file (model_api/replay.hpp format) for a leaf's events (the "events" array of
// GET /v1/leaves/{id}/events): {"leaf": ID, "responses": [{message, stop_reason, usage,
// model}, ...]}, one per model_response event, in order. Pure.
Json replay_file(const std::string& leaf_id, const Json& events);

// Before submitting: bad_request (a usage error) when FILE's directory is missing or not
// writable by the caller, or FILE is a directory.
Status check_record_path(const std::string& path);

// Reads the leaf's events and writes the replay file to `path` (replacing it atomically).
// Answers the number of responses written.
Result<size_t> write_record(ApiClient& client, const std::string& leaf_id, const std::string& path);

}  // namespace harness::client
