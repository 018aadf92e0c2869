// wait and logs: the blocking commands. Both return 130 on Ctrl-C; the leaf keeps running.
#include <utility>

#include "lib/client/changes_format.hpp"
#include "lib/client/commands.hpp"
#include "lib/client/exit_codes.hpp"
#include "lib/client/interrupt.hpp"
#include "lib/client/json_fields.hpp"
#include "lib/client/leaf_watch.hpp"
#include "lib/client/spinner.hpp"

namespace harness::client {
namespace {
// Prints one event in the chosen format; remembers the last seq for a resume hint. In the human
// format the leaf's final answer (leaf_finished's result) follows its last line, then the files
// it changed in its workspace (workspace_changes, which comes just before), as `run` ends;
// with a spinner (logs -f on a terminal) it shows what the leaf waits on between lines.
struct EventPrinter {
  Context& ctx;
  std::int64_t last_seq = 0;
  Spinner* spinner = nullptr;
  Json changes = Json::object();
  void operator()(const Json& e) {
    last_seq = jf::num(e, "seq", last_seq);
    if (ctx.json()) {
      print_json(ctx.io.out, e, true);
      ctx.io.out << std::flush;
      return;
    }
    std::string type = jf::str(e, "type");
    if (type == "workspace_changes") changes = jf::obj(e, "data");
    std::string text = format_event(e, ctx.out_style());
    if (type == "leaf_finished") {
      std::string answer = jf::str(jf::obj(e, "data"), "result");
      if (!answer.empty()) text += answer + (answer.back() == '\n' ? "" : "\n");
      text += format_workspace_changes(std::exchange(changes, Json::object()), ctx.out_style());
    }
    if (spinner) {
      spinner->print(text);
      if (auto activity = activity_of(e)) spinner->set(*activity);
    } else {
      ctx.io.out << text << std::flush;
    }
  }
};
}  // namespace

int cmd_wait(Context& ctx, const WaitOptions& o) {
  std::optional<TimeMs> deadline;
  if (!o.timeout.empty()) {
    auto ms = parse_duration_ms(o.timeout);
    if (!ms)
      return report_error(
          ctx, make_error(ErrorCode::bad_request,
                          "--timeout '" + o.timeout + "' is not a duration like 30s, 10m, 1h"));
    deadline = now_ms() + *ms;
  }
  ApiClient client(ctx.endpoint);
  Json leaves = Json::array();
  int code = exit_code::succeeded;
  for (const auto& id : o.ids) {
    auto leaf = wait_for_leaf(client, id, deadline);
    int this_code = leaf ? leaf_exit_code(*leaf) : report_error(ctx, leaf.error());
    // Ctrl-C and an unreachable daemon end the whole wait; a missing leaf only its own.
    if (this_code == exit_code::interrupted || this_code == exit_code::unavailable)
      return this_code;
    if (code == exit_code::succeeded) code = this_code;
    if (!leaf) continue;
    leaves.push_back(*leaf);
    if (!ctx.json()) ctx.io.out << id << "  " << format_summary(*leaf, ctx.out_style()) << "\n";
    if (this_code == exit_code::timeout)
      ctx.io.err << "harnessctl: " << id << " is still " << field(*leaf, "state")
                 << " after --timeout " << o.timeout
                 << (field(*leaf, "state") == "awaiting_approval"
                         ? " (see: harnessctl approvals; harnessctl approve " + id + ")"
                         : std::string())
                 << "\n";
  }
  if (ctx.json()) {
    if (o.ids.size() > 1)
      print_json(ctx.io.out, Json{{"leaves", leaves}});
    else if (leaves.size() == 1)
      print_json(ctx.io.out, leaves[0]);
  }
  return code;
}

int cmd_logs(Context& ctx, const LogsOptions& o) {
  ApiClient client(ctx.endpoint);
  std::string path = "/v1/leaves/" + url_encode(o.id) + "/events?after=" + std::to_string(o.since);
  EventPrinter print{ctx, o.since};
  if (!o.follow) {
    auto page = client.get(path);
    if (!page) return report_error(ctx, page.error());
    if (page->is_object() && page->contains("events") && (*page)["events"].is_array())
      for (const auto& e : (*page)["events"]) print(e);
    return exit_code::succeeded;
  }
  Spinner spinner(ctx.io.out, ctx.io.out_tty && !ctx.json());
  print.spinner = &spinner;
  auto end = follow_events(client, o.id, o.since, [&](const Json& e) { print(e); });
  if (!end) return report_error(ctx, end.error());
  if (*end) return exit_code::succeeded;
  if (interrupted()) return report_error(ctx, make_error(ErrorCode::internal, "interrupted"));
  return report_error(
      ctx, make_error(ErrorCode::unavailable,
                      "the event stream ended early; continue with: harnessctl logs -f " + o.id +
                          " --since " + std::to_string(print.last_seq)));
}

}  // namespace harness::client
