#include "lib/daemon/api.hpp"

#include <spdlog/spdlog.h>

#include "lib/base/ids.hpp"
#include "lib/base/time.hpp"
#include "lib/daemon/access.hpp"
#include "lib/daemon/doctor.hpp"
#include "lib/daemon/metrics_route.hpp"

namespace harness::daemon {
namespace {
using Json = nlohmann::json;

// Splits "/v1/leaves/x/events" against "/v1/leaves/{}/events"; fills params on a match.
bool match(std::string_view pattern, std::string_view path, std::vector<std::string>& params) {
  params.clear();
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/')
      return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pseg = pattern.substr(0, pattern.find('/'));
    auto seg = path.substr(0, path.find('/'));
    if (pseg == "{}") {
      if (seg.empty()) return false;
      params.emplace_back(seg);
    } else if (pseg != seg) {
      return false;
    }
    pattern.remove_prefix(pseg.size());
    path.remove_prefix(seg.size());
  }
  return true;
}
}  // namespace

const std::vector<Api::Route>& Api::routes() {
  static const std::vector<Route> table{
      {"GET", "/healthz", Need::none, &Api::healthz},
      {"GET", "/readyz", Need::none, &Api::readyz},
      {"GET", "/v1/version", Need::none, &Api::version},
      {"GET", "/v1/doctor", Need::admin, &Api::doctor},
      {"GET", "/metrics", Need::metrics, &Api::metrics},
      {"POST", "/v1/leaves", Need::submit, &Api::submit},
      {"GET", "/v1/leaves", Need::any, &Api::list_leaves},
      {"GET", "/v1/leaves/{}", Need::any, &Api::get_leaf},
      {"GET", "/v1/leaves/{}/events", Need::any, &Api::events},
      {"GET", "/v1/leaves/{}/wait", Need::any, &Api::wait},
      {"POST", "/v1/leaves/{}/cancel", Need::submit, &Api::cancel},
      {"POST", "/v1/leaves/{}/approve", Need::approve, &Api::approve},
      {"POST", "/v1/leaves/{}/reject", Need::approve, &Api::reject},
      {"GET", "/v1/approvals", Need::any, &Api::approvals},
      {"POST", "/v1/sessions/{}/leaves", Need::submit, &Api::resume},
      {"POST", "/v1/sessions/{}/fork", Need::submit, &Api::fork},
      {"GET", "/v1/sessions/{}", Need::any, &Api::get_session},
      {"POST", "/v1/schedules", Need::submit, &Api::create_schedule},
      {"GET", "/v1/schedules", Need::any, &Api::list_schedules},
      {"GET", "/v1/schedules/{}", Need::any, &Api::get_schedule},
      {"DELETE", "/v1/schedules/{}", Need::submit, &Api::delete_schedule},
      {"POST", "/v1/schedules/{}/pause", Need::submit, &Api::pause_schedule},
      {"POST", "/v1/schedules/{}/resume", Need::submit, &Api::resume_schedule},
      {"POST", "/v1/schedules/{}/run", Need::submit, &Api::run_schedule},
  };
  return table;
}

Status Api::check_access(const Caller& caller, Need need) {
  if (need == Need::none) return {};
  if (!caller.authenticated)
    return make_error(ErrorCode::unauthorized,
                      "a valid 'Authorization: Bearer TOKEN' header is required");
  auto refuse = [&](std::string_view role) {
    return make_error(ErrorCode::forbidden, caller.who.name + " lacks the '" + std::string(role) +
                                                "' role (granted in [auth] of harnessd's config)");
  };
  if (need == Need::any && !caller.has_any()) return refuse("submit, approve, admin or read");
  if (need == Need::submit && !caller.has(Role::submit)) return refuse("submit");
  if (need == Need::approve && !caller.has(Role::approve)) return refuse("approve");
  if (need == Need::admin && !caller.has(Role::admin)) return refuse("admin");
  if (need == Need::metrics && !caller.has(Role::metrics)) return refuse("metrics");
  return {};
}

Api::Lookup Api::find_route(const http::Request& req) {
  Lookup found;
  Params params;
  for (const auto& r : routes()) {
    if (!match(r.pattern, req.path, params)) continue;
    if (r.method == req.method) {
      found.route = &r;
      found.params = std::move(params);
      found.allow.clear();
      return found;
    }
    if (found.allow.find(r.method) == std::string::npos)
      found.allow += (found.allow.empty() ? "" : ", ") + std::string(r.method);
  }
  return found;
}

http::EarlyAnswer Api::no_route(const http::Request& req, const Lookup& found) {
  if (found.allow.empty())
    return {
        404, make_error(ErrorCode::not_found, "no route for " + req.method + " " + req.path), {}};
  // 405 keeps the closed error code bad_request; the status and Allow say the rest.
  return {405,
          make_error(ErrorCode::bad_request, "method " + req.method + " is not allowed on " +
                                                 req.path + " (allowed: " + found.allow + ")"),
          {{"Allow", found.allow}}};
}

std::optional<http::EarlyAnswer> Api::check_head(const http::Request& head) const {
  Lookup found = find_route(head);
  if (!found.route) {
    http::EarlyAnswer a = no_route(head, found);
    count_http_request(head.method, "unmatched", a.status);
    return a;
  }
  if (found.route->need == Need::none) return std::nullopt;
  if (Status s = check_access(identify(head, *m_s.config), found.route->need); !s) {
    int status = http_status(s.error().code);
    count_http_request(head.method, found.route->pattern, status);
    return http::EarlyAnswer{status, s.error(), {}};
  }
  return std::nullopt;
}

void Api::handle(http::Request&& req, std::shared_ptr<http::Responder> res) {
  TimeMs t0 = now_ms();
  Lookup found = find_route(req);
  if (!found.route) {
    http::EarlyAnswer a = no_route(req, found);
    count_http_request(req.method, "unmatched", a.status);
    return res->send(a.status, "application/json", http::dump_json(http::error_json(a.error)),
                     std::move(a.headers));
  }
  res->on_status([method = req.method, route = found.route->pattern](int status) {
    count_http_request(method, route, status);
  });
  Caller caller = identify(req, *m_s.config);
  if (Status s = check_access(caller, found.route->need); !s) return res->send_error(s.error());
  (this->*found.route->fn)(req, res, found.params, caller);
  spdlog::debug("{} {} by {} dispatched in {}ms", req.method, req.path, caller.who.name,
                now_ms() - t0);
}

void Api::healthz(const http::Request&, const Res& res, const Params&, const Caller& caller) {
  res->send_json(200, Json{{"status", "ok"}});
}

void Api::readyz(const http::Request&, const Res& res, const Params&, const Caller& caller) {
  if (!*m_s.ready)
    return res->send_error(make_error(ErrorCode::unavailable, "recovery is still running"));
  m_s.store->ping([res](Result<bool> r) {
    // The store's message names it and says why ("store PATH: … database or disk is full").
    if (!r || !*r)
      return res->send_error(make_error(ErrorCode::unavailable,
                                        r ? "store unreachable: ping failed" : r.error().message));
    res->send_json(200, Json{{"status", "ready"}});
  });
}

void Api::version(const http::Request&, const Res& res, const Params&, const Caller& caller) {
  res->send_json(200, Json{{"version", HARNESS_VERSION}, {"api", 1}});
}

void Api::doctor(const http::Request&, const Res& res, const Params&, const Caller&) {
  run_doctor(m_s.loop, *m_s.config, *m_s.store,
             [res](Json report) { res->send_json(200, std::move(report)); });
}

void Api::list_leaves(const http::Request& req, const Res& res, const Params&,
                      const Caller& caller) {
  store::LeafFilter f;
  if (auto it = req.query.find("state"); it != req.query.end() && !it->second.empty()) {
    auto st = model::parse_leaf_state(it->second);
    if (!st) return res->send_error(st.error());
    f.state = *st;
  }
  auto [first_label, end_label] = req.query_all.equal_range("label");
  for (auto it = first_label; it != end_label; ++it)
    if (!it->second.empty()) f.labels.push_back(it->second);
  if (auto it = req.query.find("since"); it != req.query.end() && !it->second.empty()) {
    auto t = parse_rfc3339(it->second);
    if (!t)
      return res->send_error(make_error(ErrorCode::bad_request,
                                        "since must be an RFC 3339 time (2026-11-29T10:00:00Z)"));
    f.created_since = *t;
  }
  if (auto it = req.query.find("session"); it != req.query.end()) f.session = it->second;
  if (auto it = req.query.find("cursor"); it != req.query.end() && !it->second.empty()) {
    // Cursors are the leaf ids we hand out as next_cursor; anything else is not one of ours.
    if (!is_valid_id(it->second, "lf_"))
      return res->send_error(make_error(ErrorCode::bad_request,
                                        "cursor is not one this daemon issued (use next_cursor)"));
    f.cursor = it->second;
  }
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    char* end = nullptr;
    long n = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || n < 1 || n > 1000)
      return res->send_error(
          make_error(ErrorCode::bad_request, "limit must be an integer 1..1000"));
    f.limit = static_cast<int>(n);
  }
  restrict_listing(caller, f);
  // Rows the SQL filter let through for an approver may still be unreadable: they are left out,
  // but the cursor stays that of the store's page, so paging skips nothing.
  m_s.store->list_leaves(f, [res, caller](Result<store::LeafPage> r) {
    if (!r) return res->send_error(r.error());
    Json leaves = Json::array();
    for (const auto& l : r->leaves)
      if (may_read(caller, l)) leaves.push_back(model::to_json(l));
    res->send_json(
        200, Json{{"leaves", std::move(leaves)},
                  {"next_cursor", r->next_cursor.empty() ? Json(nullptr) : Json(r->next_cursor)}});
  });
}

void Api::with_readable_leaf(const std::string& id, const Res& res, const Caller& caller,
                             std::function<void(model::Leaf)> then) {
  m_s.store->get_leaf(id, [res, caller, then = std::move(then)](Result<model::Leaf> r) {
    if (!r) return res->send_error(r.error());
    if (Status ok = may_read(caller, *r); !ok) return res->send_error(ok.error());
    then(std::move(*r));
  });
}

void Api::get_leaf(const http::Request&, const Res& res, const Params& p, const Caller& caller) {
  with_readable_leaf(p[0], res, caller,
                     [res](model::Leaf leaf) { res->send_json(200, model::to_json(leaf)); });
}

void Api::cancel(const http::Request&, const Res& res, const Params& p, const Caller& caller) {
  Services s = m_s;
  m_s.store->get_leaf(p[0], [s, res, caller](Result<model::Leaf> r) {
    if (!r) return res->send_error(r.error());
    if (!caller.has(Role::admin) && !owns(caller, r->spec.owner) &&
        !same_person(caller, r->spec.submitted_by))
      return res->send_error(
          make_error(ErrorCode::forbidden, caller.who.name + " may not cancel " + r->id +
                                               ": only its submitter, its owner or an admin may"));
    s.leaves->cancel(r->id, [res](Result<model::Leaf> c) {
      if (!c) return res->send_error(c.error());
      res->send_json(200, model::to_json(*c));
    });
  });
}

void Api::get_session(const http::Request&, const Res& res, const Params& p, const Caller& caller) {
  m_s.store->get_session(p[0], [res, caller](Result<model::Session> r) {
    if (!r) return res->send_error(r.error());
    // The owner sees the whole session; an approver only the leaves whose gates they decide.
    Json leaves = Json::array();
    for (const auto& l : r->leaves)
      if (owns(caller, r->owner) || may_read(caller, l)) leaves.push_back(model::to_json(l));
    if (leaves.empty() && !r->leaves.empty())
      return res->send_error(
          make_error(ErrorCode::forbidden, caller.who.name + " may not read session " + r->id +
                                               ": only its owner, admins and [auth] read "
                                               "principals may"));
    res->send_json(200, Json{{"id", r->id},
                             {"owner", r->owner.empty() ? Json(nullptr) : Json(r->owner)},
                             {"created_at", format_rfc3339(r->created_at)},
                             {"last_seq", r->last_seq},
                             {"leaves", std::move(leaves)}});
  });
}

}  // namespace harness::daemon
