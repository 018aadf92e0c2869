#include "lib/daemon/access.hpp"

namespace harness::daemon {

bool owns(const Caller& caller, const std::string& owner) {
  return !owner.empty() && caller.owner() == owner;
}

Status may_decide(const Caller& caller, const model::Leaf& leaf) {
  auto policy = leaf.spec.policy.is_null() ? Result<model::Policy>(model::Policy{})
                                           : model::policy_from_json(leaf.spec.policy);
  if (!policy) return policy.error();
  if (!policy->approvers.empty() && !model::principal_matches(caller.who, policy->approvers))
    return make_error(ErrorCode::forbidden,
                      caller.who.name + " is not an approver of policy '" + policy->name +
                          "' (approvers: " + model::dump_json(model::Json(policy->approvers)) +
                          ")");
  if (policy->four_eyes && same_person(caller, leaf.spec.submitted_by))
    return make_error(ErrorCode::forbidden, "four_eyes: " + caller.who.name + " submitted " +
                                                leaf.id + " and may not decide its gates");
  return {};
}

Status may_read(const Caller& caller, const model::Leaf& leaf) {
  if (caller.has(Role::read) || owns(caller, leaf.spec.owner)) return {};
  if (caller.has(Role::approve) && leaf.gates > 0 && may_decide(caller, leaf)) return {};
  return make_error(ErrorCode::forbidden,
                    caller.who.name + " may not read " + leaf.id +
                        ": only its session's owner, approvers of its gates, admins and "
                        "[auth] read principals may");
}

Status may_resume(const Caller& caller, const model::Session& s) {
  if (caller.has(Role::admin) || owns(caller, s.owner)) return {};
  return make_error(ErrorCode::forbidden, caller.who.name + " may not resume session " + s.id +
                                              ": only its owner or an admin may");
}

void restrict_listing(const Caller& caller, store::LeafFilter& f) {
  if (caller.has(Role::read)) return;
  f.owner = caller.owner();
  f.or_gated = caller.has(Role::approve);
}

}  // namespace harness::daemon
