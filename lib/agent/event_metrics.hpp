#pragma once
// The metrics the log's events tell (docs/operations.md "Metrics"): leaves started and finished,
// model calls with their latency, tokens and cost, tool calls with their duration, gate waits.
// The Journal calls count_events with every batch of durable events. Loop thread only.

#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/leaf.hpp"

namespace harness::agent {

// Records what `events` (just appended to `leaf`'s log; `leaf` is its row after them) tell.
void count_events(const model::Leaf& leaf, const std::vector<model::Event>& events);
// A sandbox of `driver` was started for a leaf; `st` is how that went.
void count_sandbox_start(std::string_view driver, const Status& st);

}  // namespace harness::agent
