#pragma once
// Writing a validated submit plan: prepare the envelope off the loop, write the leaf and its
// first event in one store transaction, enqueue it. Shared by the submit routes and the
// scheduler's firings. Loop thread only.

#include <functional>
#include <memory>
#include <string>

#include "lib/daemon/api.hpp"
#include "lib/daemon/submit.hpp"

namespace harness::daemon {

// Writes `plan` as a new leaf (a new session unless plan->session is set; a new session
// copying plan->session up to plan->fork_seq for a fork). `scope` and `hash`
// are the idempotency scope and request digest (store::SubmitRequest). Answers the store's
// result; a leaf found by its idempotency key comes back with created = false and nothing new
// is written or enqueued. A failed write leaves no envelope behind.
void write_leaf(const Services& s, std::shared_ptr<SubmitPlan> plan, std::string scope,
                std::string hash, std::function<void(Result<store::SubmitResult>)> done);

}  // namespace harness::daemon
