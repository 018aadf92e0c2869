// GET /v1/approvals, POST /v1/leaves/{id}/approve and /reject: who may decide is checked here
// (role, the policy's approvers, four_eyes); recording the verdict exactly once is the
// LeafManager's job.

#include "lib/daemon/access.hpp"
#include "lib/daemon/api.hpp"

namespace harness::daemon {
namespace {
using Json = nlohmann::json;

Json approval_of(const model::Leaf& leaf) {
  Json a = leaf.gate;
  a["leaf"] = leaf.id;
  a["session"] = leaf.session;
  a["submitted_by"] = leaf.spec.submitted_by;
  a["prompt"] = leaf.spec.prompt;
  return a;
}

Result<Json> parse_body(const std::string& body) {
  if (body.empty()) return Json::object();
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorCode::bad_request, "request body must be a JSON object");
  if (j.contains("gate") && !j["gate"].is_number_integer())
    return make_error(ErrorCode::bad_request, "field 'gate' must be an integer");
  if (j.contains("message") && !j["message"].is_string())
    return make_error(ErrorCode::bad_request, "field 'message' must be a string");
  if (j.contains("stop") && !j["stop"].is_boolean())
    return make_error(ErrorCode::bad_request, "field 'stop' must be true or false");
  return j;
}
}  // namespace

void Api::approvals(const http::Request&, const Res& res, const Params&, const Caller& caller) {
  store::LeafFilter f;
  f.state = model::LeafState::awaiting_approval;
  f.limit = 1000;
  restrict_listing(caller, f);
  m_s.store->list_leaves(f, [res, caller](Result<store::LeafPage> r) {
    if (!r) return res->send_error(r.error());
    Json list = Json::array();
    // Oldest first: the longest-waiting gate is the most urgent.
    for (auto it = r->leaves.rbegin(); it != r->leaves.rend(); ++it) {
      const model::Leaf& leaf = *it;
      if (leaf.gate.is_object() && may_read(caller, leaf)) list.push_back(approval_of(leaf));
    }
    res->send_json(200, Json{{"approvals", std::move(list)}});
  });
}

void Api::approve(const http::Request& req, const Res& res, const Params& p, const Caller& caller) {
  verdict(req, res, p[0], true, caller);
}

void Api::reject(const http::Request& req, const Res& res, const Params& p, const Caller& caller) {
  verdict(req, res, p[0], false, caller);
}

void Api::verdict(const http::Request& req, const Res& res, const std::string& leaf_id,
                  bool approve, const Caller& caller) {
  auto body = parse_body(req.body);
  if (!body) return res->send_error(body.error());
  agent::LeafManager::VerdictRequest vr;
  // parse_body checked the types; a gate number past int is no gate of ours.
  auto gate = model::int_at(*body, "gate");
  vr.gate = gate < 0 || gate > INT32_MAX ? -1 : static_cast<int>(gate);
  vr.approve = approve;
  vr.stop = !approve && model::bool_at(*body, "stop");
  vr.message = model::str_at(*body, "message");
  vr.by = caller.to_json();
  Services s = m_s;
  m_s.store->get_leaf(leaf_id, [s, res, caller, vr](Result<model::Leaf> r) {
    if (!r) return res->send_error(r.error());
    if (Status ok = may_decide(caller, *r); !ok) return res->send_error(ok.error());
    s.leaves->decide(*r, vr, [res](Result<agent::LeafManager::VerdictResult> d) {
      if (!d) return res->send_error(d.error());
      res->send_json(200, Json{{"leaf", model::to_json(d->leaf)},
                               {"verdict", d->verdict},
                               {"already", d->already}});
    });
  });
}

}  // namespace harness::daemon
