// approvals, approve and reject: one request each, printed as JSON or a sentence/table.
#include "lib/client/commands.hpp"
#include "lib/client/exit_codes.hpp"
#include "lib/client/gate_format.hpp"
#include "lib/client/leaf_watch.hpp"

namespace harness::client {

int cmd_approvals(Context& ctx) {
  ApiClient client(ctx.endpoint);
  auto page = client.get("/v1/approvals");
  if (!page) return report_error(ctx, page.error());
  const Json gates =
      page->is_object() && page->contains("approvals") && (*page)["approvals"].is_array()
          ? (*page)["approvals"]
          : Json::array();
  if (ctx.json()) {
    Json out = page->is_object() ? *page : Json::object();
    out["approvals"] = gates;
    print_json(ctx.io.out, out);
    return exit_code::succeeded;
  }
  if (gates.empty()) {
    ctx.io.err << "no open gates you may see\n";
    return exit_code::succeeded;
  }
  ctx.io.out << format_approvals(gates, ctx.global.output == "wide", now_ms(), ctx.out_style());
  return exit_code::succeeded;
}

int cmd_verdict(Context& ctx, const VerdictOptions& o, Verdict verdict) {
  if (o.gate < 0)
    return report_error(ctx,
                        make_error(ErrorCode::bad_request, "--gate must be a positive number"));
  VerdictRequest req = build_verdict_request(o, verdict);
  ApiClient client(ctx.endpoint);
  auto answer = client.post(req.path, req.body);
  if (!answer) return report_error(ctx, answer.error());
  if (ctx.json())
    print_json(ctx.io.out, *answer);
  else
    ctx.io.out << describe_verdict(*answer, o.id) << "\n";
  return exit_code::succeeded;
}

}  // namespace harness::client
