// harnessctl doctor: asks the daemon to check itself (GET /v1/doctor) and prints a checklist.
// Exit 0 when every check passed, 3 when any failed, 10 when the daemon cannot be reached.
#include "lib/client/commands.hpp"
#include "lib/client/exit_codes.hpp"
#include "lib/client/json_fields.hpp"

namespace harness::client {
namespace {

// The daemon starts every sandbox profile for real; give slow ones (image pulls aside) time.
constexpr std::int64_t k_doctor_timeout_ms = 120'000;

std::string text(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

void print_check(std::ostream& out, const Json& c, const Style& st) {
  bool ok = jf::flag(c, "ok");
  bool warning = ok && jf::flag(c, "warning");  // passed, with a fix worth doing
  std::string mark = warning ? st.yellow("!") : ok ? st.green("✔") : st.red("✘");
  std::string what = text(c, "kind") + " " + text(c, "name");
  out << mark << " " << st.bold(what) << "  " << text(c, "detail") << "\n";
  if ((!ok || warning) && !text(c, "fix").empty()) out << "    fix: " << text(c, "fix") << "\n";
}

int unreachable(Context& ctx, const Error& e) {
  if (e.code != ErrorCode::unavailable) return report_error(ctx, e);
  if (ctx.json()) {
    print_json(ctx.io.out, Json{{"daemon", nullptr}, {"daemon_error", e.message}, {"ok", false}});
  } else {
    ctx.io.out << ctx.out_style().red("✘") << " " << ctx.out_style().bold("daemon") << "  "
               << e.message << "\n";
    ctx.io.out << "    fix: start it with `harnessd` (or `systemctl start harnessd`), or point "
                  "harnessctl at it with --socket/$HARNESS_SOCKET or --url/$HARNESS_URL\n";
  }
  return exit_code::unavailable;
}

}  // namespace

int cmd_doctor(Context& ctx) {
  ApiClient client(ctx.endpoint);
  auto report = client.get("/v1/doctor", k_doctor_timeout_ms);
  if (!report) return unreachable(ctx, report.error());
  bool ok = jf::flag(*report, "ok");
  if (ctx.json()) {
    print_json(ctx.io.out, *report);
    return ok ? exit_code::succeeded : exit_code::failed;
  }
  Style st = ctx.out_style();
  const Json& daemon = jf::obj(*report, "daemon");
  ctx.io.out << st.green("✔") << " " << st.bold("daemon") << "  harnessd "
             << text(daemon, "version") << ", state " << text(daemon, "state_dir") << ", store "
             << text(daemon, "store") << "\n";
  int failed = 0;
  if (report->is_object() && report->contains("checks") && (*report)["checks"].is_array()) {
    for (const auto& c : (*report)["checks"]) {
      print_check(ctx.io.out, c, st);
      if (!jf::flag(c, "ok")) ++failed;
    }
  }
  if (ok)
    ctx.io.err << "all checks passed\n";
  else
    ctx.io.err << failed << " check" << (failed == 1 ? "" : "s") << " failed\n";
  return ok ? exit_code::succeeded : exit_code::failed;
}

}  // namespace harness::client
