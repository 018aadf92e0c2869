#include "lib/daemon/schedule_fire.hpp"

#include "lib/agent/redaction.hpp"
#include "lib/base/account.hpp"
#include "lib/base/json_dump.hpp"
#include "lib/config/sha256.hpp"
#include "lib/daemon/leaf_writer.hpp"

namespace harness::daemon {

Result<SubmitPlan> plan_template(const model::Json& leaf, const config::Config& cfg) {
  if (!leaf.is_object()) return make_error(ErrorCode::bad_request, "'leaf' must be an object");
  if (leaf.contains("session") && !leaf["session"].is_null())
    return make_error(ErrorCode::invalid,
                      "a schedule's leaf may not name a session: each firing starts a new one");
  HARNESS_TRY_ASSIGN(SubmitPlan plan, parse_submit(dump_json(leaf), "", cfg));
  HARNESS_TRY(resolve_policy(plan, cfg, nullptr, false));
  return plan;
}

void fire_schedule(const Services& s, const store::ScheduleRecord& rec, TimeMs scheduled,
                   std::function<void(Result<std::string>)> done) {
  model::Json leaf =
      rec.spec.is_object() && rec.spec.contains("leaf") ? rec.spec["leaf"] : model::Json::object();
  if (leaf.is_object()) {
    if (!leaf.contains("labels") || !leaf["labels"].is_object())
      leaf["labels"] = model::Json::object();
    leaf["labels"]["schedule"] = rec.name;
  }
  auto plan = plan_template(leaf, *s.config);
  if (!plan) return done(plan.error());
  auto p = std::make_shared<SubmitPlan>(std::move(*plan));
  std::string id = std::to_string(scheduled);
  p->spec.idempotency_key = "schedule:" + rec.name + ":" + id;
  p->spec.submitted_by = rec.created_by.is_object() ? rec.created_by : model::Json::object();
  p->spec.submitted_by["schedule"] = rec.name;
  p->spec.owner = rec.owner;
  // Chosen with the creator's rights when the schedule was made (schedule_routes.cpp); a
  // [schedules.NAME] of the config runs as the daemon's account.
  if (!p->run_as.empty()) {
    auto account = account_by_name(p->run_as);
    if (!account)
      return done(make_error(ErrorCode::invalid, "schedule " + rec.name + ": run_as user '" +
                                                     p->run_as + "' no longer exists"));
    p->spec.run_as = std::move(*account);
  }
  if (s.redactor) agent::redact_spec(*s.redactor, p->spec);
  // The scope and hash name the firing, not the template: a resubmit after an edit still
  // finds the leaf of the first attempt.
  std::string scope = "schedule:" + rec.name;
  std::string hash = config::sha256_hex("schedule " + rec.name + " " + id);
  write_leaf(s, p, scope, hash, [done](Result<store::SubmitResult> r) {
    if (!r) return done(r.error());
    done(r->leaf.id);
  });
}

}  // namespace harness::daemon
