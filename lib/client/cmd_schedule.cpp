// schedule add|ls|show|rm|pause|resume|run-now: one request each to /v1/schedules (docs/api.md
// "Schedules"), printed as JSON (-o json) or text.
#include "lib/client/commands.hpp"
#include "lib/client/exit_codes.hpp"
#include "lib/client/format.hpp"
#include "lib/client/json_fields.hpp"
#include "lib/client/submit_request.hpp"

namespace harness::client {
namespace {
using jf::flag;
using jf::str;

std::string when(const Json& s) {
  std::string cron = str(s, "cron");
  if (!cron.empty()) return "cron \"" + cron + "\" " + str(s, "timezone", "UTC");
  return "every " + str(s, "every", "-");
}

std::string schedule_text(const Json& s) {
  std::string out;
  auto row = [&](const std::string& k, const std::string& v) {
    out += k + ":" + std::string(k.size() < 10 ? 10 - k.size() : 1, ' ') + v + "\n";
  };
  row("name", str(s, "name", "-"));
  row("when", when(s));
  row("state", flag(s, "paused") ? "paused" : "active");
  row("overlap", str(s, "overlap", "skip"));
  row("catch_up", str(s, "catch_up", "none"));
  row("jitter", str(s, "jitter", "-"));
  row("owner", str(s, "owner", "-") + " (" + str(s, "source", "api") + ")");
  row("last_fire", str(s, "last_fire", "-"));
  row("last_leaf", str(s, "last_leaf", "-"));
  const Json& leaf = jf::obj(s, "leaf");
  row("prompt", first_line(str(leaf, "prompt", "-"), 200));
  if (s.is_object() && s.contains("next") && s["next"].is_array()) {
    std::string next;
    for (const auto& t : s["next"])
      if (t.is_string())
        next += (next.empty() ? "" : "\n" + std::string(11, ' ')) + t.get<std::string>();
    row("next", next.empty() ? "-" : next);
  }
  return out;
}

std::string table(const Json& list) {
  std::string out = "NAME                 STATE   WHEN                                LAST FIRE\n";
  auto pad = [](std::string s, size_t n) {
    if (s.size() < n) s += std::string(n - s.size(), ' ');
    return s + " ";
  };
  for (const auto& s : list)
    out += pad(str(s, "name"), 20) + pad(flag(s, "paused") ? "paused" : "active", 7) +
           pad(when(s), 35) + str(s, "last_fire", "-") + "\n";
  return out;
}

Result<Json> add_body(const ScheduleOptions& o, const SubmitOptions& leaf, std::istream& in) {
  if (o.cron.empty() == o.every.empty())
    return make_error(ErrorCode::bad_request,
                      "schedule add: give exactly one of --cron and --every");
  HARNESS_TRY_ASSIGN(SubmitRequest req, build_submit_request(leaf, in, current_dir()));
  Json body{{"name", o.name}, {"leaf", req.body}};
  if (!o.cron.empty()) body["cron"] = o.cron;
  if (!o.every.empty()) body["every"] = o.every;
  if (!o.tz.empty()) body["timezone"] = o.tz;
  if (!o.overlap.empty()) body["overlap"] = o.overlap;
  if (!o.catch_up.empty()) body["catch_up"] = o.catch_up;
  if (!o.jitter.empty()) body["jitter"] = o.jitter;
  return body;
}

// An API answer printed: JSON, or `text` of it.
int print(Context& ctx, const Result<Json>& r,
          const std::function<std::string(const Json&)>& text) {
  if (!r) return report_error(ctx, r.error());
  if (ctx.json())
    print_json(ctx.io.out, *r);
  else
    ctx.io.out << text(*r);
  return exit_code::succeeded;
}
}  // namespace

int cmd_schedule(Context& ctx, const ScheduleOptions& o, const SubmitOptions* leaf) {
  ApiClient client(ctx.endpoint);
  std::string path = "/v1/schedules/" + url_encode(o.name);
  if (o.action == "add") {
    auto body = add_body(o, *leaf, ctx.io.in);
    if (!body) return report_error(ctx, body.error());
    return print(ctx, client.post("/v1/schedules", *body), schedule_text);
  }
  if (o.action == "ls") {
    auto r = client.get("/v1/schedules");
    return print(ctx, r, [](const Json& j) {
      bool ok = j.is_object() && j.contains("schedules") && j["schedules"].is_array();
      return table(ok ? j["schedules"] : Json::array());
    });
  }
  if (o.action == "show") return print(ctx, client.get(path), schedule_text);
  if (o.action == "rm")
    return print(ctx, client.del(path), [&](const Json&) { return "removed " + o.name + "\n"; });
  if (o.action == "pause" || o.action == "resume")
    return print(ctx, client.post(path + "/" + o.action, Json::object()), [&](const Json& s) {
      return o.name + " " + (flag(s, "paused") ? "paused" : "active") + "\n";
    });
  // run-now: the leaf it started.
  return print(ctx, client.post(path + "/run", Json::object()),
               [](const Json& l) { return str(l, "id") + "\n"; });
}

}  // namespace harness::client
