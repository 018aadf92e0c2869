#include "lib/daemon/schedule_view.hpp"

namespace harness::daemon {

model::Json schedule_view(const store::ScheduleRecord& rec, const scheduler::Trigger* trigger,
                          TimeMs now) {
  model::Json j = rec.spec.is_object() ? rec.spec : model::Json::object();
  j["schema"] = 1;
  j["name"] = rec.name;
  j["owner"] = rec.owner;
  j["source"] = rec.source;
  j["paused"] = rec.paused;
  j["created_at"] = format_rfc3339(rec.created_at);
  j["last_fire"] = rec.last_fire ? model::Json(format_rfc3339(rec.last_fire)) : model::Json();
  j["last_leaf"] = rec.last_leaf.empty() ? model::Json() : model::Json(rec.last_leaf);
  if (!trigger) return j;
  model::Json next = model::Json::array();
  TimeMs t = std::max(now, rec.last_fire);
  for (int i = 0; i < k_next_firings; ++i) {
    auto n = scheduler::next_fire(*trigger, t);
    if (!n) break;
    next.push_back(format_rfc3339(*n));
    t = *n;
  }
  j["next"] = std::move(next);
  return j;
}

}  // namespace harness::daemon
