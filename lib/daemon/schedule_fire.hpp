#pragma once
// A schedule's firing as a submit: the leaf template of the schedule, labelled schedule=NAME,
// submitted on behalf of the schedule's owner with an idempotency key naming the firing, so
// submitting one firing twice yields one leaf. Loop thread only.

#include <functional>
#include <string>

#include "lib/daemon/api.hpp"
#include "lib/daemon/submit.hpp"
#include "lib/store/schedule_store.hpp"

namespace harness::daemon {

// The plan of a leaf template (a submit body) as a new session; the same checks as POST
// /v1/leaves (bad_request, invalid naming the field). A template may not name a session.
Result<SubmitPlan> plan_template(const model::Json& leaf, const config::Config& cfg);
// Submits firing `scheduled` of `rec`; answers the leaf id (also when it existed already).
void fire_schedule(const Services& s, const store::ScheduleRecord& rec, TimeMs scheduled,
                   std::function<void(Result<std::string>)> done);

}  // namespace harness::daemon
