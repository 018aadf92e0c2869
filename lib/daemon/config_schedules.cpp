#include "lib/daemon/config_schedules.hpp"

#include <memory>
#include <set>

#include "lib/base/fs.hpp"
#include "lib/base/time.hpp"
#include "lib/daemon/schedule_fire.hpp"
#include "lib/scheduler/schedule.hpp"

namespace harness::daemon {
namespace {
using model::Json;

// The submit body of the schedule's leaves.
Result<Json> leaf_template(const config::ScheduleConfig& sc) {
  Json leaf = Json::object();
  std::string prompt = sc.prompt;
  if (!sc.prompt_file.empty()) {
    auto text = read_file(sc.prompt_file);
    if (!text)
      return make_error(ErrorCode::invalid,
                        "prompt_file " + sc.prompt_file + ": " + text.error().message);
    prompt = std::move(*text);
  }
  leaf["prompt"] = prompt;
  for (const auto& [key, value] :
       {std::pair{"model", &sc.model}, std::pair{"sandbox", &sc.sandbox},
        std::pair{"policy", &sc.policy}, std::pair{"workdir", &sc.workdir}})
    if (!value->empty()) leaf[key] = *value;
  if (sc.max_turns > 0) leaf["max_turns"] = sc.max_turns;
  if (sc.timeout_ms > 0) leaf["timeout_s"] = static_cast<double>(sc.timeout_ms) / 1000.0;
  if (sc.token_budget > 0) leaf["token_budget"] = sc.token_budget;
  if (sc.budget_usd > 0) leaf["budget_usd"] = sc.budget_usd;
  if (sc.inactivity_ms > 0) leaf["inactivity_s"] = static_cast<double>(sc.inactivity_ms) / 1000.0;
  Json labels = Json::object();
  for (const auto& kv : sc.labels) {
    auto eq = kv.find('=');
    labels[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  leaf["labels"] = labels;
  return leaf;
}

// Exact, so that parsing it gives back the same milliseconds.
std::string exact_duration(std::int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

Result<store::ScheduleRecord> one(const config::Config& cfg, const config::ScheduleConfig& sc,
                                  TimeMs now) {
  Json j{{"name", sc.name},
         {"timezone", sc.timezone},
         {"overlap", sc.overlap},
         {"catch_up", sc.catch_up}};
  if (!sc.cron.empty()) j["cron"] = sc.cron;
  if (sc.every_ms > 0) j["every"] = exact_duration(sc.every_ms);
  if (sc.jitter_ms > 0) j["jitter"] = exact_duration(sc.jitter_ms);
  HARNESS_TRY_ASSIGN(j["leaf"], leaf_template(sc));
  HARNESS_TRY_ASSIGN(scheduler::Schedule s, scheduler::schedule_from_json(j));
  HARNESS_TRY(scheduler::make_trigger(s));
  if (auto plan = plan_template(s.leaf, cfg); !plan)
    return make_error(ErrorCode::invalid, "leaf: " + plan.error().message);
  store::ScheduleRecord rec;
  rec.name = sc.name;
  rec.spec = scheduler::to_json(s);
  rec.owner = std::string(k_config_owner);
  rec.created_by = Json{{"name", "config"}, {"transport", "config"}};
  rec.source = "config";
  rec.created_at = now;
  return rec;
}
}  // namespace

Result<std::vector<store::ScheduleRecord>> config_schedules(const config::Config& cfg, TimeMs now) {
  std::vector<store::ScheduleRecord> out;
  for (const auto& [name, sc] : cfg.schedules) {
    auto rec = one(cfg, sc, now);
    if (!rec) {
      auto it = cfg.origins.find("schedules." + name);
      std::string where = it == cfg.origins.end() ? "" : it->second + ": ";
      return make_error(ErrorCode::invalid,
                        where + "[schedules." + name + "]: " + rec.error().message);
    }
    out.push_back(std::move(*rec));
  }
  return out;
}

void sync_config_schedules(store::ScheduleStore& store, std::vector<store::ScheduleRecord> records,
                           std::function<void(Status)> done) {
  // One write at a time, in order; each step continues from the store's answer.
  struct Step {
    store::ScheduleStore& store;
    std::vector<store::ScheduleRecord> put;
    std::vector<std::string> remove;
    std::function<void(Status)> done;
  };
  auto step = std::make_shared<Step>(Step{store, std::move(records), {}, std::move(done)});
  auto next = std::make_shared<std::function<void()>>();
  *next = [step, next] {
    if (!step->put.empty()) {
      store::ScheduleRecord rec = std::move(step->put.back());
      step->put.pop_back();
      return step->store.put_schedule(std::move(rec), true,
                                      [step, next](Result<store::ScheduleRecord> r) {
                                        if (r) return (*next)();
                                        step->done(r.error());
                                        *next = nullptr;
                                      });
    }
    if (!step->remove.empty()) {
      std::string name = std::move(step->remove.back());
      step->remove.pop_back();
      return step->store.delete_schedule(std::move(name), [next](Result<bool>) { (*next)(); });
    }
    step->done({});
    *next = nullptr;  // breaks the cycle
  };
  std::set<std::string> wanted;
  for (const auto& r : step->put) wanted.insert(r.name);
  store.list_schedules([step, next, wanted](Result<std::vector<store::ScheduleRecord>> all) {
    if (!all) {
      step->done(all.error());
      *next = nullptr;
      return;
    }
    for (const auto& r : *all)
      if (r.source == "config" && !wanted.count(r.name)) step->remove.push_back(r.name);
    (*next)();
  });
}

}  // namespace harness::daemon
