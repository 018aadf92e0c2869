#include "lib/daemon/resume_rules.hpp"

#include "lib/base/time.hpp"

namespace harness::daemon {
namespace {

std::string without_trailing_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

// 0 means "no limit", so any limit narrows none, and none widens any.
bool widens(double asked, double pinned) {
  return pinned > 0 && (asked <= 0 || asked > pinned);
}

std::string budget_widening(const SubmitPlan& plan, const model::LeafSpec& p) {
  const model::LeafSpec& s = plan.spec;
  if (plan.token_budget_given &&
      widens(static_cast<double>(s.token_budget), static_cast<double>(p.token_budget)))
    return "has a token budget of " + std::to_string(p.token_budget) + ", not " +
           std::to_string(s.token_budget);
  if (plan.budget_usd_given && widens(s.budget_usd, p.budget_usd))
    return "has a budget of " + std::to_string(p.budget_usd) + " USD, not " +
           std::to_string(s.budget_usd);
  if (plan.inactivity_given &&
      widens(static_cast<double>(s.inactivity_ms), static_cast<double>(p.inactivity_ms)))
    return "has an inactivity limit of " + format_duration_ms(p.inactivity_ms) + ", not " +
           format_duration_ms(s.inactivity_ms);
  return "";
}

// Why `plan` widens the session `previous` pins, or "" when it does not.
std::string widening(const SubmitPlan& plan, const model::Leaf& previous,
                     const config::Config& cfg) {
  const model::LeafSpec& s = plan.spec;
  const model::LeafSpec& p = previous.spec;
  if (!s.sandbox.empty() && s.sandbox != p.sandbox)
    return "runs in sandbox profile '" + p.sandbox + "', not '" + s.sandbox + "'";
  if (!s.workdir.empty() && without_trailing_slash(s.workdir) != without_trailing_slash(p.workdir))
    return "works in " + (p.workdir.empty() ? "its own workspace" : p.workdir) + ", not " +
           s.workdir;
  if (plan.max_turns_given && s.max_turns > p.max_turns)
    return "allows at most " + std::to_string(p.max_turns) + " turns, not " +
           std::to_string(s.max_turns);
  auto effective = [&](std::int64_t ms) { return ms > 0 ? ms : cfg.default_timeout_ms; };
  if (plan.timeout_given && effective(s.timeout_ms) > effective(p.timeout_ms))
    return "has a timeout of " + format_duration_ms(effective(p.timeout_ms)) + ", not " +
           format_duration_ms(effective(s.timeout_ms));
  return budget_widening(plan, p);
}

}  // namespace

Status pin_to_session(SubmitPlan& plan, const model::Leaf& previous, const config::Config& cfg,
                      bool admin) {
  if (!admin) {
    std::string why = widening(plan, previous, cfg);
    if (!why.empty())
      return make_error(ErrorCode::forbidden, "session " + plan.session + " " + why +
                                                  ": a resumed leaf may only narrow its "
                                                  "session's settings (an admin may widen them)");
  }
  auto& s = plan.spec;
  if (!plan.max_turns_given) s.max_turns = previous.spec.max_turns;
  if (!plan.timeout_given) s.timeout_ms = previous.spec.timeout_ms;
  if (!plan.token_budget_given) s.token_budget = previous.spec.token_budget;
  if (!plan.budget_usd_given) s.budget_usd = previous.spec.budget_usd;
  if (!plan.inactivity_given) s.inactivity_ms = previous.spec.inactivity_ms;
  return {};
}

}  // namespace harness::daemon
