#include "lib/daemon/fork_routes.hpp"

#include "lib/agent/fork_point.hpp"

namespace harness::daemon {

void Api::fork(const http::Request& req, const Res& res, const Params& p, const Caller& caller) {
  model::Json body = model::Json::parse(req.body, nullptr, false);
  ForkAt at;
  if (body.is_object()) {
    auto it = body.find("seq");
    if (it != body.end() && !it->is_null()) {
      if (!it->is_number_integer())
        return res->send_error(
            make_error(ErrorCode::bad_request, "field 'seq' must be an integer"));
      at.seq = model::int_at(body, "seq", 0);  // 0 (refused) when beyond int64
    }
  }
  submit_plan(req, res, p[0], caller, at);  // a body that is not JSON is refused there
}

void choose_fork(const Services& s, std::shared_ptr<SubmitPlan> plan,
                 std::optional<std::int64_t> requested, const std::shared_ptr<http::Responder>& res,
                 std::function<void()> write) {
  store::EventQuery q{plan->session, "", 0, 0};
  s.store->read_events(q, [plan, requested, res,
                           write = std::move(write)](Result<std::vector<model::Event>> events) {
    if (!events) return res->send_error(events.error());
    auto at = agent::choose_fork_seq(*events, plan->session, requested);
    if (!at) return res->send_error(at.error());
    plan->fork_seq = *at;
    plan->spec.forked_from = model::Json{{"session", plan->session}, {"seq", *at}};
    write();
  });
}

}  // namespace harness::daemon
