#pragma once
// Who is calling, and what they may do (SPEC §11). Unix-socket callers are identified by their
// SO_PEERCRED uid (name and groups from the system's user database); TCP callers by their
// bearer token. Roles come from [auth]; without it every caller has every role.

#include <set>
#include <string>

#include "lib/config/config.hpp"
#include "lib/http/server.hpp"
#include "lib/model/policy.hpp"

namespace harness::daemon {

// read: may read every leaf ([auth] read, or a token's "read" role). metrics: may scrape GET
// /metrics and nothing else (a Prometheus server's token).
enum class Role { submit, approve, admin, read, metrics };
std::string_view to_string(Role r);

struct Caller {
  model::Principal who;
  std::set<Role> roles;
  bool authenticated = false;  // false: a TCP request without a valid token
  bool has(Role r) const { return roles.count(r) || roles.count(Role::admin); }
  // Any role that reads or changes leaves (metrics alone does not).
  bool has_any() const { return !roles.empty() && roles != std::set<Role>{Role::metrics}; }
  // {"name","uid","transport","remote"} as recorded in events.
  model::Json to_json() const;
  // The owner this caller gives the sessions it creates: "uid:N" over the unix socket,
  // "token:NAME" over TCP ("user:NAME" when the socket peer is unknown).
  std::string owner() const;
};

// Identifies the caller of `req`. Looks users and groups up through NSS (cached per uid).
Caller identify(const http::Request& req, const config::Config& cfg);

// Is this caller the one who submitted the leaf (`submitted_by` of its spec)?
bool same_person(const Caller& c, const model::Json& submitted_by);

}  // namespace harness::daemon
