// POST /v1/leaves and POST /v1/sessions/{id}/leaves. A submit is validated completely before
// anything is written; the envelope is prepared off the loop, then the Store writes the leaf and
// its first event in one transaction. If that fails, the envelope is removed again: a failed
// submit leaves nothing behind.

#include <spdlog/spdlog.h>

#include "lib/agent/redaction.hpp"
#include "lib/base/ids.hpp"
#include "lib/base/utf8.hpp"
#include "lib/config/sha256.hpp"
#include "lib/daemon/access.hpp"
#include "lib/daemon/api.hpp"
#include "lib/daemon/resume_rules.hpp"
#include "lib/daemon/submit.hpp"
#include "lib/loop/defer.hpp"

namespace harness::daemon {

void Api::submit(const http::Request& req, const Res& res, const Params&, const Caller& caller) {
  submit_plan(req, res, "", caller);
}

void Api::resume(const http::Request& req, const Res& res, const Params& p, const Caller& caller) {
  submit_plan(req, res, p[0], caller);
}

void Api::submit_plan(const http::Request& req, const Res& res, const std::string& session_path,
                      const Caller& caller) {
  auto parsed = parse_submit(req.body, session_path, *m_s.config);
  if (!parsed) return res->send_error(parsed.error());
  if (!valid_utf8(req.header("idempotency-key")))
    return res->send_error(
        make_error(ErrorCode::bad_request, "the Idempotency-Key header is not valid UTF-8"));
  auto plan = std::make_shared<SubmitPlan>(std::move(*parsed));
  plan->spec.idempotency_key = req.header("idempotency-key");
  plan->spec.submitted_by = caller.to_json();
  plan->spec.owner = caller.owner();
  if (m_s.redactor) agent::redact_spec(*m_s.redactor, plan->spec);
  bool admin = caller.has(Role::admin);
  Services s = m_s;
  // Idempotency keys are per submitter; the hash tells a retry from another request.
  std::string scope = caller.owner();
  std::string hash = config::sha256_hex(req.method + " " + req.path + "\n" + req.body);

  // Writes the leaf once the plan is complete and valid.
  auto write = [s, plan, res, scope, hash] {
    std::string leaf_id = new_id("lf_");
    auto status = std::make_shared<Status>();
    loop::run_blocking(
        s.loop,
        [plan, status, dir = s.config->state_dir, leaf_id] {
          *status = prepare_envelope(*plan, dir, leaf_id);
        },
        [s, plan, status, res, leaf_id, scope, hash] {
          if (!*status) {
            loop::run_blocking(
                s.loop, [plan] { discard_envelope(*plan); }, nullptr);
            return res->send_error(status->error());
          }
          store::SubmitRequest sr{leaf_id,
                                  plan->session.empty() ? new_id("ses_") : plan->session,
                                  !plan->session.empty(),
                                  plan->spec,
                                  scope,
                                  hash};
          s.store->submit(std::move(sr), [s, plan, res](Result<store::SubmitResult> r) {
            if (!r || !r->created)
              loop::run_blocking(
                  s.loop, [plan] { discard_envelope(*plan); }, nullptr);
            if (!r) return res->send_error(r.error());
            if (!r->created) return res->send_json(200, model::to_json(r->leaf));
            spdlog::info("leaf {} submitted (session {}, model {}, sandbox {})", r->leaf.id,
                         r->leaf.session, r->leaf.spec.model, r->leaf.spec.sandbox);
            s.journal->published_submit(r->leaf, r->event);
            s.leaves->enqueue(r->leaf);
            res->send_json(201, model::to_json(r->leaf));
          });
        });
  };

  if (plan->session.empty()) {
    if (Status p = resolve_policy(*plan, *m_s.config, nullptr, admin); !p)
      return res->send_error(p.error());
    return write();
  }
  // Resume: the session must exist and be the caller's (or the caller an admin); unset
  // settings come from its latest leaf, and set ones may only narrow them.
  m_s.store->get_session(
      plan->session, [s, plan, res, write, admin, caller](Result<model::Session> r) {
        if (!r) return res->send_error(r.error());
        if (Status ok = may_resume(caller, *r); !ok) return res->send_error(ok.error());
        const model::Leaf* previous = r->leaves.empty() ? nullptr : &r->leaves.back();
        if (previous) {
          if (Status pin = pin_to_session(*plan, *previous, *s.config, admin); !pin)
            return res->send_error(pin.error());
          inherit_from(*plan, *previous);
        }
        if (Status p = resolve_policy(*plan, *s.config, previous, admin); !p)
          return res->send_error(p.error());
        if (Status v = validate_plan(*plan, *s.config); !v) return res->send_error(v.error());
        write();
      });
}

}  // namespace harness::daemon
