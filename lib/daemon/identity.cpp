#include "lib/daemon/identity.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <unordered_map>

#include "lib/base/time.hpp"
#include "lib/daemon/auth.hpp"

namespace harness::daemon {
namespace {
constexpr std::int64_t k_cache_ms = 30'000;

struct CachedUser {
  std::string name;
  std::vector<std::string> groups;
  TimeMs at = 0;
};

// NSS lookups are cheap for local files but not free; a short cache keeps them off the
// request path. Loop thread only.
const CachedUser& lookup_user(uid_t uid, gid_t gid) {
  static std::unordered_map<uid_t, CachedUser> cache;
  auto& c = cache[uid];
  if (c.at && now_ms() - c.at < k_cache_ms) return c;
  c = CachedUser{};
  c.at = now_ms();
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
    c.name = found->pw_name;
    int n = 64;
    std::vector<gid_t> gids(static_cast<size_t>(n));
    if (getgrouplist(found->pw_name, found->pw_gid, gids.data(), &n) < 0) {
      gids.resize(static_cast<size_t>(n));
      getgrouplist(found->pw_name, found->pw_gid, gids.data(), &n);
    }
    gids.resize(static_cast<size_t>(std::max(n, 0)));
    gids.push_back(gid);
    for (gid_t g : gids) {
      group gr{};
      group* gfound = nullptr;
      std::vector<char> gbuf(16384);
      if (getgrgid_r(g, &gr, gbuf.data(), gbuf.size(), &gfound) == 0 && gfound)
        c.groups.emplace_back(gfound->gr_name);
    }
  } else {
    c.name = "uid:" + std::to_string(uid);
  }
  return c;
}

void grant(std::set<Role>& roles, Role r, const std::vector<std::string>& who,
           const model::Principal& p) {
  if (model::principal_matches(p, who)) roles.insert(r);
}
}  // namespace

std::string_view to_string(Role r) {
  switch (r) {
    case Role::submit:
      return "submit";
    case Role::approve:
      return "approve";
    case Role::admin:
      return "admin";
    case Role::read:
      return "read";
    case Role::metrics:
      return "metrics";
  }
  return "?";
}

model::Json Caller::to_json() const {
  return model::Json{{"name", who.name},
                     {"uid", who.uid ? model::Json(*who.uid) : model::Json(nullptr)},
                     {"transport", who.transport},
                     {"remote", who.remote}};
}

std::string Caller::owner() const {
  if (who.transport == "tcp") return "token:" + who.name;
  if (who.uid) return "uid:" + std::to_string(*who.uid);
  return "user:" + who.name;
}

Caller identify(const http::Request& req, const config::Config& cfg) {
  Caller c;
  c.who.transport = req.transport;
  c.who.remote = req.remote;
  const auto& auth = cfg.auth;
  if (req.transport == "tcp") {
    auto grant_for = find_token(req.header("authorization"), auth.tokens);
    if (!grant_for) return c;
    c.authenticated = true;
    c.who.name = grant_for->name;
    for (const auto& r : grant_for->roles) {
      if (r == "submit") c.roles.insert(Role::submit);
      if (r == "approve") c.roles.insert(Role::approve);
      if (r == "admin") c.roles.insert(Role::admin);
      if (r == "read") c.roles.insert(Role::read);
      if (r == "metrics") c.roles.insert(Role::metrics);
    }
    return c;
  }
  c.authenticated = true;
  if (req.peer.known) {
    const CachedUser& u = lookup_user(req.peer.uid, req.peer.gid);
    c.who.name = u.name;
    c.who.uid = req.peer.uid;
    c.who.groups = u.groups;
  } else {
    c.who.name = "unknown";
  }
  if (!auth.configured) {
    c.roles = {Role::submit, Role::approve, Role::admin, Role::read, Role::metrics};
    return c;
  }
  grant(c.roles, Role::submit, auth.submit, c.who);
  grant(c.roles, Role::approve, auth.approve, c.who);
  grant(c.roles, Role::admin, auth.admin, c.who);
  grant(c.roles, Role::read, auth.read, c.who);
  grant(c.roles, Role::metrics, auth.metrics, c.who);
  return c;
}

bool same_person(const Caller& c, const model::Json& submitted_by) {
  if (!submitted_by.is_object()) return false;
  auto uid = submitted_by.find("uid");
  if (c.who.uid && uid != submitted_by.end() && uid->is_number_unsigned())
    return uid->get<unsigned>() == *c.who.uid;
  return model::str_at(submitted_by, "name") == c.who.name &&
         model::str_at(submitted_by, "transport") == c.who.transport;
}

}  // namespace harness::daemon
