// Schedules and firings on Redis (ScheduleStore; schedule_scripts.hpp has the scripts and the
// keys). Same contracts as the SQLite store: claim_firing is one script that writes the firing
// only if its time has none (HSETNX) and raises last_fire with it, so one scheduled time is
// claimed once by whichever daemon asks first.
#include <algorithm>
#include <charconv>
#include <tuple>

#include "lib/base/json_dump.hpp"
#include "lib/base/time.hpp"
#include "lib/store/redis/codec.hpp"
#include "lib/store/redis/redis_store_impl.hpp"

namespace harness::store::redis {
namespace {

model::Json parse_or_null(std::string_view text) {
  model::Json j = model::Json::parse(text.begin(), text.end(), nullptr, false);
  return j.is_discarded() ? model::Json(nullptr) : j;
}

std::string text_of(const Reply& r) {
  return std::string(r.text().value_or(""));
}

// A record from elements [first, first + 9) of `a`: name, spec, owner, created_by, source,
// paused, created_at, last_fire, last_leaf.
Result<ScheduleRecord> record_from(const Reply& a, size_t first) {
  ScheduleRecord r;
  r.name = text_of(a.at(first));
  if (r.name.empty()) return make_error(ErrorCode::internal, "corrupt schedule in the store");
  r.spec = parse_or_null(text_of(a.at(first + 1)));
  r.owner = text_of(a.at(first + 2));
  r.created_by = parse_or_null(text_of(a.at(first + 3)));
  r.source = text_of(a.at(first + 4));
  r.paused = text_of(a.at(first + 5)) == "1";
  HARNESS_TRY_ASSIGN(r.created_at, int_from(a.at(first + 6), "schedule created_at"));
  HARNESS_TRY_ASSIGN(r.last_fire, int_from(a.at(first + 7), "schedule last_fire"));
  r.last_leaf = text_of(a.at(first + 8));
  return r;
}

// A firing from [name, scheduled, "STATE CREATED_AT LEAF"].
Result<Firing> firing_from(const Reply& a) {
  Firing f;
  f.schedule = text_of(a.at(0));
  HARNESS_TRY_ASSIGN(f.scheduled, int_from(a.at(1), "firing time"));
  std::string v = text_of(a.at(2));
  auto sp1 = v.find(' ');
  auto sp2 = sp1 == std::string::npos ? std::string::npos : v.find(' ', sp1 + 1);
  if (sp2 == std::string::npos)
    return make_error(ErrorCode::internal, "corrupt firing in the store");
  f.state = v.substr(0, sp1);
  auto [end, ec] = std::from_chars(v.data() + sp1 + 1, v.data() + sp2, f.created_at);
  if (ec != std::errc() || end != v.data() + sp2)
    return make_error(ErrorCode::internal, "corrupt firing in the store");
  f.leaf_id = v.substr(sp2 + 1);
  return f;
}

}  // namespace

void RedisStore::put_schedule(ScheduleRecord rec, bool replace, Callback<ScheduleRecord> cb) {
  std::vector<std::string> args{rec.name,
                                dump_json(rec.spec),
                                rec.owner,
                                dump_json(rec.created_by),
                                rec.source,
                                rec.paused ? "1" : "0",
                                std::to_string(rec.created_at),
                                std::to_string(rec.last_fire),
                                rec.last_leaf,
                                replace ? "1" : "0"};
  enqueue<ScheduleRecord>(std::move(cb), [this, args](Callback<ScheduleRecord> done) {
    script(ScriptId::put_schedule, args, [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      done(record_from(*a, 1));
    });
  });
}

void RedisStore::get_schedule(std::string name, Callback<ScheduleRecord> cb) {
  enqueue<ScheduleRecord>(std::move(cb), [this, name](Callback<ScheduleRecord> done) {
    if (name.empty()) return done(make_error(ErrorCode::not_found, "no such schedule "));
    script(ScriptId::get_schedules, {name}, [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      done(record_from(a->at(1), 0));
    });
  });
}

void RedisStore::list_schedules(Callback<std::vector<ScheduleRecord>> cb) {
  enqueue<std::vector<ScheduleRecord>>(
      std::move(cb), [this](Callback<std::vector<ScheduleRecord>> done) {
        script(ScriptId::get_schedules, {""}, [this, done](Result<Reply> a) {
          if (!a) return done(a.error());
          if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
          std::vector<ScheduleRecord> out;
          for (size_t i = 1; i < a->size(); ++i) {
            auto r = record_from(a->at(i), 0);
            if (!r) return done(r.error());
            out.push_back(std::move(*r));
          }
          done(std::move(out));
        });
      });
}

void RedisStore::delete_schedule(std::string name, Callback<bool> cb) {
  enqueue<bool>(std::move(cb), [this, name](Callback<bool> done) {
    script(ScriptId::delete_schedule, {name}, [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      done(true);
    });
  });
}

void RedisStore::set_schedule_paused(std::string name, bool paused, Callback<ScheduleRecord> cb) {
  enqueue<ScheduleRecord>(std::move(cb), [this, name, paused](Callback<ScheduleRecord> done) {
    // The daemon's wall clock, like SQLite's: last_fire is compared with the scheduler's clock.
    script(ScriptId::pause_schedule, {name, paused ? "1" : "0", std::to_string(now_ms())},
           [this, done](Result<Reply> a) {
             if (!a) return done(a.error());
             if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
             done(record_from(*a, 1));
           });
  });
}

void RedisStore::claim_firing(Firing f, Callback<bool> cb) {
  std::vector<std::string> args{f.schedule, std::to_string(f.scheduled), f.state,
                                f.leaf_id,  std::to_string(now_ms()),    f.manual ? "1" : "0"};
  enqueue<bool>(std::move(cb), [this, args](Callback<bool> done) {
    script(ScriptId::claim_firing, args, [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      done(a->at(1).integer == 1);
    });
  });
}

void RedisStore::update_firing(Firing f, Callback<bool> cb) {
  std::vector<std::string> args{f.schedule, std::to_string(f.scheduled), f.state, f.leaf_id};
  enqueue<bool>(std::move(cb), [this, args](Callback<bool> done) {
    script(ScriptId::update_firing, args, [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      done(true);
    });
  });
}

void RedisStore::list_open_firings(Callback<std::vector<Firing>> cb) {
  enqueue<std::vector<Firing>>(std::move(cb), [this](Callback<std::vector<Firing>> done) {
    script(ScriptId::open_firings, {}, [this, done](Result<Reply> a) {
      if (!a) return done(a.error());
      if (script_status(*a) != "ok") return done(answer_error(*a, m_endpoint));
      std::vector<Firing> out;
      for (size_t i = 1; i < a->size(); ++i) {
        auto f = firing_from(a->at(i));
        if (!f) return done(f.error());
        out.push_back(std::move(*f));
      }
      // SQLite's order: created_at, then scheduled.
      std::stable_sort(out.begin(), out.end(), [](const Firing& x, const Firing& y) {
        return std::tie(x.created_at, x.scheduled) < std::tie(y.created_at, y.scheduled);
      });
      done(std::move(out));
    });
  });
}

}  // namespace harness::store::redis
