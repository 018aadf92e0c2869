// /v1/schedules (SPEC §8, docs/api.md "Schedules"). A schedule is owned like a session: its
// creator (or, for [schedules.NAME] of the config, "config") and admins may change it; it is
// visible to them and to [auth] read principals. A new schedule is checked completely before it
// is stored: its cron expression (422 with the column), its zone (loaded off the loop) and its
// leaf template (the checks of a submit).

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "lib/daemon/access.hpp"
#include "lib/daemon/accounts.hpp"
#include "lib/daemon/api.hpp"
#include "lib/daemon/schedule_fire.hpp"
#include "lib/daemon/schedule_runner.hpp"
#include "lib/daemon/schedule_view.hpp"
#include "lib/loop/defer.hpp"

namespace harness::daemon {
namespace {
using store::ScheduleRecord;

Error no_schedules() {
  return make_error(ErrorCode::unavailable, "this store keeps no schedules");
}

bool may_see(const Caller& caller, const ScheduleRecord& rec) {
  return caller.has(Role::admin) || caller.has(Role::read) || owns(caller, rec.owner);
}

// Builds the trigger off the loop (a zone file is read), then answers `then` on the loop.
void with_trigger(uv_loop_t* loop, const scheduler::Schedule& s,
                  std::function<void(Result<scheduler::Trigger>)> then) {
  auto built = std::make_shared<Result<scheduler::Trigger>>(make_error(ErrorCode::internal, ""));
  loop::run_blocking(
      loop, [built, s] { *built = scheduler::make_trigger(s); },
      [built, then = std::move(then)] { then(std::move(*built)); });
}
}  // namespace

void Api::create_schedule(const http::Request& req, const Res& res, const Params&,
                          const Caller& caller) {
  if (!m_s.store->schedules()) return res->send_error(no_schedules());
  model::Json body = model::Json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return res->send_error(make_error(ErrorCode::bad_request, "body must be a JSON object"));
  auto spec = scheduler::schedule_from_json(body);
  if (!spec) return res->send_error(spec.error());
  auto plan = plan_template(spec->leaf, *m_s.config);
  if (!plan) {
    Error e = plan.error();
    e.message = "leaf: " + e.message;
    return res->send_error(e);
  }
  // The account its leaves run as is decided now, with the creator's rights, as for a submit;
  // every firing runs as that account (accounts.hpp).
  auto run_as = choose_run_as(req, caller, plan->run_as, *m_s.config, geteuid() == 0);
  if (!run_as) return res->send_error(run_as.error());
  if (!run_as->fresh_only.empty() && !plan->spec.workdir.empty())
    return res->send_error(make_error(
        ErrorCode::forbidden, "leaf: " + run_as->fresh_only + "; it may not name a workdir"));
  if (run_as->account) spec->leaf["run_as"] = run_as->account->name;
  ScheduleRecord rec;
  rec.name = spec->name;
  rec.spec = scheduler::to_json(*spec);
  rec.owner = caller.owner();
  rec.created_by = caller.to_json();
  rec.source = "api";
  rec.created_at = m_s.clock->now_ms();
  Services s = m_s;
  with_trigger(s.loop, *spec, [s, res, rec](Result<scheduler::Trigger> t) {
    if (!t) return res->send_error(t.error());
    s.store->schedules()->put_schedule(
        rec, false, [s, res, trigger = std::move(*t)](Result<ScheduleRecord> r) {
          if (!r) return res->send_error(r.error());
          spdlog::info("schedule {} created by {}", r->name, r->owner);
          res->send_json(201, schedule_view(*r, &trigger, s.clock->now_ms()));
        });
  });
}

void Api::list_schedules(const http::Request&, const Res& res, const Params&,
                         const Caller& caller) {
  if (!m_s.store->schedules()) return res->send_error(no_schedules());
  Services s = m_s;
  s.store->schedules()->list_schedules([s, res, caller](Result<std::vector<ScheduleRecord>> r) {
    if (!r) return res->send_error(r.error());
    model::Json list = model::Json::array();
    for (const auto& rec : *r)
      if (may_see(caller, rec)) list.push_back(schedule_view(rec, nullptr, s.clock->now_ms()));
    res->send_json(200, model::Json{{"schema", 1}, {"schedules", std::move(list)}});
  });
}

void Api::get_schedule(const http::Request&, const Res& res, const Params& p,
                       const Caller& caller) {
  if (!m_s.store->schedules()) return res->send_error(no_schedules());
  Services s = m_s;
  s.store->schedules()->get_schedule(p[0], [s, res, caller](Result<ScheduleRecord> r) {
    if (!r) return res->send_error(r.error());
    if (!may_see(caller, *r))
      return res->send_error(make_error(ErrorCode::not_found, "no such schedule " + r->name));
    auto spec = scheduler::schedule_from_json(r->spec);
    if (!spec) return res->send_json(200, schedule_view(*r, nullptr, s.clock->now_ms()));
    with_trigger(s.loop, *spec, [s, res, rec = *r](Result<scheduler::Trigger> t) {
      res->send_json(200, schedule_view(rec, t ? &*t : nullptr, s.clock->now_ms()));
    });
  });
}

void Api::with_own_schedule(const std::string& name, const Res& res, const Caller& caller,
                            std::function<void(ScheduleRecord)> then) {
  if (!m_s.store->schedules()) return res->send_error(no_schedules());
  m_s.store->schedules()->get_schedule(
      name, [res, caller, then = std::move(then)](Result<ScheduleRecord> r) {
        if (!r) return res->send_error(r.error());
        if (!may_see(caller, *r))
          return res->send_error(make_error(ErrorCode::not_found, "no such schedule " + r->name));
        if (!caller.has(Role::admin) && !owns(caller, r->owner))
          return res->send_error(
              make_error(ErrorCode::forbidden, "schedule " + r->name + " belongs to " + r->owner +
                                                   "; only its owner or an admin may change it"));
        then(std::move(*r));
      });
}

void Api::delete_schedule(const http::Request&, const Res& res, const Params& p,
                          const Caller& caller) {
  Services s = m_s;
  with_own_schedule(p[0], res, caller, [s, res](ScheduleRecord rec) {
    if (rec.source == "config")
      return res->send_error(make_error(
          ErrorCode::conflict, "schedule " + rec.name +
                                   " is defined in harnessd's config; remove it there (or pause "
                                   "it)"));
    s.store->schedules()->delete_schedule(rec.name, [res, name = rec.name](Result<bool> r) {
      if (!r) return res->send_error(r.error());
      spdlog::info("schedule {} removed", name);
      res->send_json(200, model::Json{{"schema", 1}, {"name", name}, {"deleted", true}});
    });
  });
}

void Api::set_paused(const Res& res, const std::string& name, bool paused, const Caller& caller) {
  Services s = m_s;
  with_own_schedule(name, res, caller, [s, res, paused](ScheduleRecord rec) {
    s.store->schedules()->set_schedule_paused(rec.name, paused, [s, res](Result<ScheduleRecord> r) {
      if (!r) return res->send_error(r.error());
      spdlog::info("schedule {} {}", r->name, r->paused ? "paused" : "resumed");
      res->send_json(200, schedule_view(*r, nullptr, s.clock->now_ms()));
    });
  });
}

void Api::pause_schedule(const http::Request&, const Res& res, const Params& p,
                         const Caller& caller) {
  set_paused(res, p[0], true, caller);
}

void Api::resume_schedule(const http::Request&, const Res& res, const Params& p,
                          const Caller& caller) {
  set_paused(res, p[0], false, caller);
}

void Api::run_schedule(const http::Request&, const Res& res, const Params& p,
                       const Caller& caller) {
  Services s = m_s;
  with_own_schedule(p[0], res, caller, [s, res](ScheduleRecord rec) {
    if (!s.scheduler) return res->send_error(no_schedules());
    s.scheduler->run_now(rec, [s, res](Result<std::string> leaf) {
      if (!leaf) return res->send_error(leaf.error());
      s.store->get_leaf(*leaf, [res](Result<model::Leaf> l) {
        if (!l) return res->send_error(l.error());
        res->send_json(201, model::to_json(*l));
      });
    });
  });
}

}  // namespace harness::daemon
