#include "lib/daemon/resume_rules.hpp"

#include "lib/base/time.hpp"

namespace harness::daemon {
namespace {

std::string without_trailing_slash(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
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
  return "";
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
  return {};
}

}  // namespace harness::daemon
