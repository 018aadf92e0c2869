// POST /v1/leaves, POST /v1/sessions/{id}/leaves and (with fork_routes.cpp) .../fork. A submit is
// validated completely before anything is written; the envelope is prepared off the loop, then the
// Store writes the leaf and its first event in one transaction. If that fails, the envelope is
// removed again: a failed submit leaves nothing behind. The account the leaf runs as is chosen here
// (accounts.hpp); the workdir rules are checked off the loop before anything is created
// (workdir_rules.hpp).

#include <spdlog/spdlog.h>

#include <unistd.h>

#include "lib/agent/redaction.hpp"
#include "lib/base/utf8.hpp"
#include "lib/config/sha256.hpp"
#include "lib/daemon/access.hpp"
#include "lib/daemon/accounts.hpp"
#include "lib/daemon/api.hpp"
#include "lib/daemon/fork_routes.hpp"
#include "lib/daemon/leaf_writer.hpp"
#include "lib/daemon/resume_rules.hpp"
#include "lib/daemon/submit.hpp"
#include "lib/daemon/workdir_rules.hpp"

namespace harness::daemon {

void Api::submit(const http::Request& req, const Res& res, const Params&, const Caller& caller) {
  submit_plan(req, res, "", caller);
}

void Api::resume(const http::Request& req, const Res& res, const Params& p, const Caller& caller) {
  submit_plan(req, res, p[0], caller);
}

void Api::submit_plan(const http::Request& req, const Res& res, const std::string& session_path,
                      const Caller& caller, std::optional<ForkAt> fork) {
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
  auto run_as = choose_run_as(req, caller, plan->run_as, *m_s.config, geteuid() == 0);
  if (!run_as) return res->send_error(run_as.error());
  auto choice = std::make_shared<RunAsChoice>(std::move(*run_as));
  plan->spec.run_as = choice->account;
  plan->fresh_only = choice->fresh_only;
  Services s = m_s;
  // Idempotency keys are per submitter; the hash tells a retry from another request.
  std::string scope = caller.owner();
  std::string hash = config::sha256_hex(req.method + " " + req.path + "\n" + req.body);

  // Writes the leaf once the plan is complete and valid.
  auto write = [s, plan, res, scope, hash] {
    write_leaf(s, plan, scope, hash, [res](Result<store::SubmitResult> r) {
      if (!r) return res->send_error(r.error());
      res->send_json(r->created ? 201 : 200, model::to_json(r->leaf));
    });
  };

  if (plan->session.empty()) {
    if (Status p = resolve_policy(*plan, *m_s.config, nullptr, admin); !p)
      return res->send_error(p.error());
    return write();
  }
  // Resume and fork: the session must exist and be the caller's (or the caller an admin); unset
  // settings come from its latest leaf, and set ones may only narrow them; it keeps its account.
  // A fork then picks its seq from the source's log (fork_routes.cpp).
  m_s.store->get_session(
      plan->session, [s, plan, res, write, admin, caller, choice, fork](Result<model::Session> r) {
        if (!r) return res->send_error(r.error());
        if (Status ok = may_resume(caller, *r); !ok) return res->send_error(ok.error());
        const model::Leaf* previous = r->leaves.empty() ? nullptr : &r->leaves.back();
        if (previous) {
          if (Status pin = pin_to_session(*plan, *previous, *s.config, admin); !pin)
            return res->send_error(pin.error());
          inherit_from(*plan, *previous);
          if (Status k = keep_session_account(*choice, *previous, admin, plan->session); !k)
            return res->send_error(k.error());
          plan->spec.run_as = choice->account;
          plan->fresh_only = choice->fresh_only;
        }
        if (Status p = resolve_policy(*plan, *s.config, previous, admin); !p)
          return res->send_error(p.error());
        if (Status v = validate_plan(*plan, *s.config); !v) return res->send_error(v.error());
        if (fork) return choose_fork(s, plan, fork->seq, res, write);
        write();
      });
}

}  // namespace harness::daemon
