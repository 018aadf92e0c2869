#pragma once
// POST /v1/sessions/{id}/fork (docs/api.md "Fork"): a resume whose leaf starts a new session
// holding a copy of the source's log up to a seq. The ownership and narrowing rules are the
// resume's (submit_routes.cpp); this picks the seq. Loop thread only.

#include <functional>
#include <memory>
#include <optional>

#include "lib/daemon/api.hpp"
#include "lib/daemon/submit.hpp"

namespace harness::daemon {

// Reads the source's log (plan->session), sets plan->fork_seq and spec.forked_from from
// `requested` (none: the last point where no tool call waits for its result;
// agent/fork_point.hpp), then calls `write`; answers 422 for a seq that is not such a point.
void choose_fork(const Services& s, std::shared_ptr<SubmitPlan> plan,
                 std::optional<std::int64_t> requested, const std::shared_ptr<http::Responder>& res,
                 std::function<void()> write);

}  // namespace harness::daemon
