#pragma once
// Who may read, resume and decide what (docs/security.md "Who can do what"). Sessions have
// owners ("uid:N", "token:NAME"). A leaf may be read by its session's owner, by approvers who
// may decide its gates (once it opened one), by admins and by [auth] read principals; a session
// may be resumed by its owner and admins. Without [auth] every caller is an admin, so
// everything is allowed. Pure functions; loop thread or any.

#include <string>

#include "lib/daemon/identity.hpp"
#include "lib/model/leaf.hpp"
#include "lib/store/store.hpp"

namespace harness::daemon {

// Does `caller` own what `owner` names? False for an empty owner.
bool owns(const Caller& caller, const std::string& owner);
// May `caller` decide gates of `leaf` (the policy's approvers, four_eyes)? forbidden naming the
// rule that refuses it. The approve role is checked by the route.
Status may_decide(const Caller& caller, const model::Leaf& leaf);
// ok, or forbidden naming who may read `leaf`.
Status may_read(const Caller& caller, const model::Leaf& leaf);
// ok, or forbidden: only the owner and admins may add leaves to session `s`.
Status may_resume(const Caller& caller, const model::Session& s);
// Narrows a leaf listing in the store to what `caller` may read, as far as SQL can: nothing for
// callers who may read everything; their own leaves (and, for approvers, leaves that opened a
// gate) otherwise. Rows must still pass may_read.
void restrict_listing(const Caller& caller, store::LeafFilter& f);

}  // namespace harness::daemon
