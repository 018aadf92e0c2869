#include "lib/daemon/api.hpp"

#include <spdlog/spdlog.h>

#include "lib/base/time.hpp"
#include "lib/daemon/auth.hpp"

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
      {"GET", "/healthz", &Api::healthz},
      {"GET", "/readyz", &Api::readyz},
      {"GET", "/v1/version", &Api::version},
      {"POST", "/v1/leaves", &Api::submit},
      {"GET", "/v1/leaves", &Api::list_leaves},
      {"GET", "/v1/leaves/{}", &Api::get_leaf},
      {"GET", "/v1/leaves/{}/events", &Api::events},
      {"GET", "/v1/leaves/{}/wait", &Api::wait},
      {"POST", "/v1/leaves/{}/cancel", &Api::cancel},
      {"POST", "/v1/sessions/{}/leaves", &Api::resume},
      {"GET", "/v1/sessions/{}", &Api::get_session},
  };
  return table;
}

bool Api::authorized(const http::Request& req) const {
  if (req.transport != "tcp") return true;  // the unix socket is guarded by its file mode
  return token_allowed(req.header("authorization"), m_s.config->tokens);
}

void Api::handle(http::Request&& req, std::shared_ptr<http::Responder> res) {
  TimeMs t0 = now_ms();
  if (!authorized(req)) {
    return res->send_error(make_error(ErrorCode::unauthorized,
                                      "a valid 'Authorization: Bearer TOKEN' header is required"));
  }
  Params params;
  bool path_known = false;
  for (const auto& r : routes()) {
    if (!match(r.pattern, req.path, params)) continue;
    path_known = true;
    if (r.method != req.method) continue;
    (this->*r.fn)(req, res, params);
    spdlog::debug("{} {} dispatched in {}ms", req.method, req.path, now_ms() - t0);
    return;
  }
  if (path_known)
    return res->send_error(make_error(ErrorCode::bad_request,
                                      "method " + req.method + " is not allowed on " + req.path));
  res->send_error(make_error(ErrorCode::not_found, "no route for " + req.method + " " + req.path));
}

void Api::healthz(const http::Request&, const Res& res, const Params&) {
  res->send_json(200, Json{{"status", "ok"}});
}

void Api::readyz(const http::Request&, const Res& res, const Params&) {
  if (!*m_s.ready)
    return res->send_error(make_error(ErrorCode::unavailable, "recovery is still running"));
  m_s.store->ping([res](Result<bool> r) {
    if (!r || !*r)
      return res->send_error(make_error(
          ErrorCode::unavailable, "store unreachable: " + (r ? "ping failed" : r.error().message)));
    res->send_json(200, Json{{"status", "ready"}});
  });
}

void Api::version(const http::Request&, const Res& res, const Params&) {
  res->send_json(200, Json{{"version", HARNESS_VERSION}, {"api", 1}});
}

void Api::list_leaves(const http::Request& req, const Res& res, const Params&) {
  store::LeafFilter f;
  if (auto it = req.query.find("state"); it != req.query.end() && !it->second.empty()) {
    auto st = model::parse_leaf_state(it->second);
    if (!st) return res->send_error(st.error());
    f.state = *st;
  }
  if (auto it = req.query.find("label"); it != req.query.end()) f.label = it->second;
  if (auto it = req.query.find("session"); it != req.query.end()) f.session = it->second;
  if (auto it = req.query.find("cursor"); it != req.query.end()) f.cursor = it->second;
  if (auto it = req.query.find("limit"); it != req.query.end()) {
    char* end = nullptr;
    long n = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || n < 1 || n > 1000)
      return res->send_error(
          make_error(ErrorCode::bad_request, "limit must be an integer 1..1000"));
    f.limit = static_cast<int>(n);
  }
  m_s.store->list_leaves(f, [res](Result<store::LeafPage> r) {
    if (!r) return res->send_error(r.error());
    Json leaves = Json::array();
    for (const auto& l : r->leaves) leaves.push_back(model::to_json(l));
    res->send_json(
        200, Json{{"leaves", std::move(leaves)},
                  {"next_cursor", r->next_cursor.empty() ? Json(nullptr) : Json(r->next_cursor)}});
  });
}

void Api::get_leaf(const http::Request&, const Res& res, const Params& p) {
  m_s.store->get_leaf(p[0], [res](Result<model::Leaf> r) {
    if (!r) return res->send_error(r.error());
    res->send_json(200, model::to_json(*r));
  });
}

void Api::cancel(const http::Request&, const Res& res, const Params& p) {
  m_s.leaves->cancel(p[0], [res](Result<model::Leaf> r) {
    if (!r) return res->send_error(r.error());
    res->send_json(200, model::to_json(*r));
  });
}

void Api::get_session(const http::Request&, const Res& res, const Params& p) {
  m_s.store->get_session(p[0], [res](Result<model::Session> r) {
    if (!r) return res->send_error(r.error());
    Json leaves = Json::array();
    for (const auto& l : r->leaves) leaves.push_back(model::to_json(l));
    res->send_json(200, Json{{"id", r->id},
                             {"created_at", format_rfc3339(r->created_at)},
                             {"last_seq", r->last_seq},
                             {"leaves", std::move(leaves)}});
  });
}

}  // namespace harness::daemon
