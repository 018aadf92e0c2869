// status, ls, cancel and version: one request each, printed as JSON or text.
#include "lib/base/time.hpp"
#include "lib/client/commands.hpp"
#include "lib/client/exit_codes.hpp"
#include "lib/client/leaf_watch.hpp"

namespace harness::client {
namespace {
// --since as the API's RFC 3339 time: "90m" means 90 minutes ago; a time is taken as it is.
Result<std::string> since_time(const std::string& since) {
  if (auto d = parse_duration_ms(since)) return format_rfc3339(now_ms() - *d);
  if (auto t = parse_rfc3339(since)) return format_rfc3339(*t);
  return make_error(ErrorCode::bad_request, "--since '" + since +
                                                "' must be a duration (90s, 10m, 2h) or a time "
                                                "(2026-11-29T10:00:00Z)");
}

std::string list_query(const ListOptions& o, const std::string& since) {
  std::string q;
  auto add = [&](const char* k, const std::string& v) {
    q += (q.empty() ? "?" : "&") + std::string(k) + "=" + url_encode(v);
  };
  if (!o.state.empty()) add("state", o.state);
  for (const auto& l : o.labels) add("label", l);
  if (!o.session.empty()) add("session", o.session);
  if (o.limit > 0) add("limit", std::to_string(o.limit));
  if (!since.empty()) add("since", since);
  if (!o.cursor.empty()) add("cursor", o.cursor);
  return q;
}
}  // namespace

int cmd_status(Context& ctx, const LeafIdOptions& o) {
  ApiClient client(ctx.endpoint);
  auto leaf = client.get("/v1/leaves/" + url_encode(o.id));
  if (!leaf) return report_error(ctx, leaf.error());
  if (ctx.json())
    print_json(ctx.io.out, *leaf);
  else
    ctx.io.out << format_status(*leaf, ctx.out_style());
  return exit_code::succeeded;
}

int cmd_list(Context& ctx, const ListOptions& o) {
  for (const auto& l : o.labels)
    if (l.find('=') == std::string::npos || l.front() == '=')
      return report_error(
          ctx, make_error(ErrorCode::bad_request, "--label '" + l + "' must look like KEY=VALUE"));
  std::string since;
  if (!o.since.empty()) {
    auto t = since_time(o.since);
    if (!t) return report_error(ctx, t.error());
    since = *t;
  }
  ApiClient client(ctx.endpoint);
  auto page = client.get("/v1/leaves" + list_query(o, since));
  if (!page) return report_error(ctx, page.error());
  const Json leaves =
      page->is_object() && page->contains("leaves") ? (*page)["leaves"] : Json::array();
  if (ctx.json()) {
    Json out = page->is_object() ? *page : Json::object();
    out["leaves"] = leaves;
    print_json(ctx.io.out, out);
    return exit_code::succeeded;
  }
  ctx.io.out << format_table(leaves, ctx.global.output == "wide", now_ms(), ctx.out_style());
  if (std::string next = field(*page, "next_cursor"); !next.empty())
    ctx.io.err << "(more leaves than shown; next page: --cursor " << next
               << ", or narrow with --state/--label/--since)\n";
  return exit_code::succeeded;
}

int cmd_cancel(Context& ctx, const LeafIdOptions& o) {
  ApiClient client(ctx.endpoint);
  auto leaf = client.post("/v1/leaves/" + url_encode(o.id) + "/cancel", Json::object());
  if (!leaf) return report_error(ctx, leaf.error());
  if (ctx.json())
    print_json(ctx.io.out, *leaf);
  else
    ctx.io.out << o.id << " " << styled_state(field(*leaf, "state"), ctx.out_style()) << "\n";
  return exit_code::succeeded;
}

int cmd_version(Context& ctx) {
  ApiClient client(ctx.endpoint);
  auto daemon = client.get("/v1/version", 5'000);
  if (ctx.json()) {
    Json out{{"client", {{"version", k_client_version}}}};
    if (daemon)
      out["daemon"] = *daemon;
    else
      out["daemon"] = nullptr, out["daemon_error"] = daemon.error().message;
    print_json(ctx.io.out, out);
    return exit_code::succeeded;
  }
  ctx.io.out << "harnessctl " << k_client_version << "\n";
  if (daemon) {
    std::string api =
        daemon->is_object() && daemon->contains("api") ? dump_json((*daemon)["api"]) : "?";
    ctx.io.out << "harnessd " << field(*daemon, "version") << " (api " << api << ") at "
               << ctx.endpoint.describe() << "\n";
  } else {
    ctx.io.out << "harnessd: not reachable\n";
    ctx.io.err << "harnessctl: " << daemon.error().message << "\n";
  }
  return exit_code::succeeded;
}

}  // namespace harness::client
