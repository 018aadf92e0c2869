// submit, run, resume and fork: build the request, post it, then optionally follow and/or wait,
// and write the --record file.
#include "lib/client/changes_format.hpp"
#include "lib/client/commands.hpp"
#include "lib/client/exit_codes.hpp"
#include "lib/client/interrupt.hpp"
#include "lib/client/json_fields.hpp"
#include "lib/client/leaf_watch.hpp"
#include "lib/client/record.hpp"
#include "lib/client/spinner.hpp"
#include "lib/client/submit_request.hpp"

namespace harness::client {
namespace {
std::string id_of(const Json& leaf) {
  return field(leaf, "id");
}

// Streams the leaf's events as live progress on stderr; returns the final leaf when the stream
// delivered it, nullopt when it dropped. The workspace_changes event is kept for the end.
Result<std::optional<Json>> live_view(Context& ctx, ApiClient& client, const std::string& id,
                                      Json& changes) {
  Style st = ctx.err_style();
  Spinner spinner(ctx.io.err, ctx.io.err_tty && !ctx.json());
  return follow_events(client, id, 0, [&](const Json& e) {
    if (field(e, "type") == "workspace_changes") changes = jf::obj(e, "data");
    spinner.print(format_event(e, st));
    if (auto activity = activity_of(e)) spinner.set(*activity);
  });
}

// The answer on stdout; the summary and the files the leaf changed (when the live view saw
// them) on stderr.
int finish(Context& ctx, const Json& leaf, const SubmitOptions& o, bool run_mode,
           const Json& changes) {
  if (ctx.json()) {
    print_json(ctx.io.out, leaf);
  } else if (!o.quiet) {
    std::string result = field(leaf, "result");
    if ((o.follow || run_mode) && !result.empty()) ctx.io.out << result << "\n" << std::flush;
    ctx.io.err << format_summary(leaf, ctx.err_style()) << "\n";
    ctx.io.err << format_workspace_changes(changes, ctx.err_style()) << std::flush;
  }
  if (!o.wait) return exit_code::succeeded;
  return leaf_exit_code(leaf);
}

void announce(Context& ctx, const Json& leaf, const SubmitOptions& o, bool run_mode) {
  std::string id = id_of(leaf);
  if (o.quiet) {
    ctx.io.out << id << "\n" << std::flush;
    return;
  }
  if (ctx.json() && !o.wait && !o.follow) return print_json(ctx.io.out, leaf);
  if (!run_mode && !ctx.json()) ctx.io.out << id << "\n" << std::flush;
  if (run_mode || o.follow) {
    ctx.io.err << ctx.err_style().dim("leaf " + id + " · session " + field(leaf, "session"))
               << "\n";
  } else if (o.wait) {
    ctx.io.err << "waiting for " << id << " (Ctrl-C stops waiting; the leaf keeps running)\n";
  } else if (!ctx.json()) {
    ctx.io.err << "follow it with: harnessctl logs -f " << id << "   wait for it: harnessctl wait "
               << id << "\n";
  }
}
}  // namespace

int cmd_submit(Context& ctx, const SubmitOptions& opts, bool run_mode) {
  SubmitOptions o = opts;
  if (run_mode) o.follow = o.wait = true;
  if (!o.record.empty()) {
    if (!o.wait)
      return report_error(ctx, make_error(ErrorCode::bad_request,
                                          "--record needs --wait (or use run): the file is "
                                          "written from the leaf's events once it has ended"));
    if (Status ok = check_record_path(o.record); !ok) return report_error(ctx, ok.error());
  }
  auto req = build_submit_request(o, ctx.io.in, current_dir());
  if (!req) return report_error(ctx, req.error());
  for (const auto& note : req->notes) ctx.io.err << "harnessctl: " << note << "\n";
  ApiClient client(ctx.endpoint);
  auto leaf = client.post(req->path, req->body, req->headers);
  if (!leaf) return report_error(ctx, leaf.error());
  std::string id = id_of(*leaf);
  if (id.empty())
    return report_error(ctx,
                        make_error(ErrorCode::internal, "harnessd answered without a leaf id"));
  announce(ctx, *leaf, o, run_mode);
  if (!o.follow && !o.wait) return exit_code::succeeded;

  std::optional<Json> final_leaf;
  Json changes = Json::object();
  if (o.follow && !o.quiet) {
    auto followed = live_view(ctx, client, id, changes);
    if (!followed) return report_error(ctx, followed.error());
    final_leaf = *followed;
    if (!final_leaf)
      ctx.io.err << "harnessctl: the event stream ended early; waiting for the leaf\n";
  }
  if (!final_leaf || (o.wait && !leaf_is_terminal(*final_leaf))) {
    auto waited = o.wait ? wait_for_leaf(client, id, std::nullopt)
                         : client.get("/v1/leaves/" + url_encode(id));
    if (!waited) return report_error(ctx, waited.error());
    final_leaf = *waited;
  }
  if (interrupted()) return report_error(ctx, make_error(ErrorCode::internal, "interrupted"));
  if (!o.record.empty() && leaf_is_terminal(*final_leaf)) {
    auto n = write_record(client, id, o.record);
    if (!n) return report_error(ctx, n.error());
    if (!o.quiet && !ctx.json())
      ctx.io.err << "recorded " << *n << " model response" << (*n == 1 ? "" : "s") << " to "
                 << o.record << "\n";
  }
  return finish(ctx, *final_leaf, o, run_mode, changes);
}

}  // namespace harness::client
