#pragma once
// Where a session may be forked (SPEC §8 POST /v1/sessions/{id}/fork, docs/api.md "Fork"). The
// forked session's history is rebuilt from the copied prefix of the log, so the cut must not
// fall inside a turn: after the cut every tool call of a kept model response must have its
// result (tool_finished) in the kept part, or its leaf must have ended (a leaf that ended with
// calls unrun gives the model a "not run" result, the same as a resume of the source would).
// Pure; no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/leaf.hpp"

namespace harness::agent {

// The seqs of `events` (a session's log in seq order) after which the log may be cut.
std::vector<std::int64_t> fork_points(const std::vector<model::Event>& events);

// The seq to fork `events` (session `session`) at. Without `requested`: the last point, which
// is the end of the log unless a turn is in progress there. With it: `requested` itself when
// it is a point; else invalid naming the nearest points before and after it (and the call
// that is still waiting for its result), or, when it is < 1 or past the end, the log's range.
Result<std::int64_t> choose_fork_seq(const std::vector<model::Event>& events,
                                     const std::string& session,
                                     std::optional<std::int64_t> requested);

}  // namespace harness::agent
