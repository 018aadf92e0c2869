#include "lib/daemon/leaf_writer.hpp"

#include <spdlog/spdlog.h>

#include "lib/base/ids.hpp"
#include "lib/daemon/workdir_rules.hpp"
#include "lib/loop/defer.hpp"

namespace harness::daemon {

void write_leaf(const Services& sv, std::shared_ptr<SubmitPlan> plan, std::string scope,
                std::string hash, std::function<void(Result<store::SubmitResult>)> done) {
  Services s = sv;
  std::string leaf_id = new_id("lf_");
  auto status = std::make_shared<Status>();
  loop::run_blocking(
      s.loop,
      [plan, status, dir = s.config->state_dir, roots = s.config->auth.workdir_roots, leaf_id] {
        *status = apply_workdir_rules(*plan, roots);
        if (*status) *status = prepare_envelope(*plan, dir, leaf_id);
      },
      [s, plan, status, leaf_id, scope = std::move(scope), hash = std::move(hash),
       done = std::move(done)] {
        if (!*status) {
          loop::run_blocking(
              s.loop, [plan] { discard_envelope(*plan); }, nullptr);
          return done(status->error());
        }
        bool fork = plan->fork_seq > 0;
        store::SubmitRequest sr;
        sr.leaf_id = leaf_id;
        sr.session_id = plan->session.empty() || fork ? new_id("ses_") : plan->session;
        sr.resume = !plan->session.empty() && !fork;
        sr.spec = plan->spec;
        sr.idempotency_scope = scope;
        sr.request_hash = hash;
        if (fork) {
          sr.fork_from = plan->session;
          sr.fork_seq = plan->fork_seq;
        }
        s.store->submit(std::move(sr), [s, plan, done](Result<store::SubmitResult> r) {
          if (!r || !r->created)
            loop::run_blocking(
                s.loop, [plan] { discard_envelope(*plan); }, nullptr);
          if (r && r->created) {
            spdlog::info("leaf {} submitted (session {}, model {}, sandbox {})", r->leaf.id,
                         r->leaf.session, r->leaf.spec.model, r->leaf.spec.sandbox);
            s.journal->published_submit(r->leaf, r->event);
            s.leaves->enqueue(r->leaf);
          }
          done(std::move(r));
        });
      });
}

}  // namespace harness::daemon
