// How gates look to a person: the approvals table, the live-view lines, status and the verdict
// sentences.
#include <doctest/doctest.h>

#include "lib/client/format.hpp"
#include "lib/client/gate_format.hpp"
#include "lib/client/verdict.hpp"

using namespace harness;
using namespace harness::client;

namespace {
const Style k_plain{};

Json push_gate() {
  return Json{{"leaf", "lf_1"},
              {"session", "ses_1"},
              {"gate", 1},
              {"call_id", "toolu_1"},
              {"tool", "bash"},
              {"input", {{"command", "git push origin main"}}},
              {"kind", "policy"},
              {"rule", "bash:git push*"},
              {"command", "git push origin main"},
              {"diff", nullptr},
              {"summary", nullptr},
              {"proposed_action", nullptr},
              {"submitted_by", {{"name", "bob"}, {"uid", 1002}, {"transport", "unix"}}},
              {"prompt", "ship it"},
              {"opened_at", "2026-11-22T10:00:00.000Z"},
              {"expires_at", nullptr}};
}

Json diff_gate() {
  Json g = push_gate();
  g["leaf"] = "lf_2";
  g["gate"] = 3;
  g["tool"] = "edit_file";
  g["input"] = {{"path", "src/a.c"}, {"old", "x"}, {"new", "y"}};
  g["rule"] = "edit_file:src/*";
  g["command"] = nullptr;
  g["diff"] = "--- a/src/a.c\n+++ b/src/a.c\n@@ -1,2 +1,2 @@\n-int x;\n+int y;\n+int z;\n";
  g["submitted_by"] = {{"name", "ci"}, {"uid", nullptr}, {"transport", "tcp"}};
  g["opened_at"] = "2026-11-22T09:00:00.000Z";
  return g;
}

Json request_gate() {
  Json g = push_gate();
  g["leaf"] = "lf_3";
  g["tool"] = "request_approval";
  g["kind"] = "request_approval";
  g["rule"] = nullptr;
  g["command"] = nullptr;
  g["input"] = {{"summary", "deploy to prod"}, {"proposed_action", "run deploy.sh"}};
  g["summary"] = "deploy to prod";
  g["proposed_action"] = "run deploy.sh";
  return g;
}
}  // namespace

TEST_CASE("WHAT is the exact command, the changed file, or the agent's summary") {
  CHECK(gate_what(push_gate(), 60) == "git push origin main");
  CHECK(gate_what(diff_gate(), 60) == "src/a.c (+2 -1 lines)");
  CHECK(gate_what(request_gate(), 60) == "deploy to prod");
  Json multi = push_gate();
  multi["command"] = "git push origin main\ngit push --tags";
  CHECK(gate_what(multi, 60) == "git push origin main…");
  CHECK(gate_details(multi, "  ") ==
        "  git push origin main\n  git push --tags\n  (rule bash:git push*)\n");
  CHECK(gate_details(request_gate(), "  ") ==
        "  summary: deploy to prod\n  proposed: run deploy.sh\n");
  CHECK_NOTHROW(gate_what(Json{{"gate", "one"}, {"input", 3}}, 60));
  // No diff, but the daemon's reason why (a symlink it would not follow): shown as is.
  Json link = diff_gate();
  link["diff"] = "write_file x: x is a symlink to /etc/shadow; not followed\n";
  CHECK(gate_what(link, 80) == "write_file x: x is a symlink to /etc/shadow; not followed");
}

TEST_CASE("the approvals table, and -o wide with the whole diff under its row") {
  auto now = *parse_rfc3339("2026-11-22T10:05:00.000Z");
  Json gates = Json::array({diff_gate(), push_gate()});
  std::string table = format_approvals(gates, false, now, k_plain);
  CHECK(table ==
        "LEAF  GATE  TOOL       WHAT                   SUBMITTED BY  SINCE\n"
        "lf_2  3     edit_file  src/a.c (+2 -1 lines)  ci (tcp)      1h\n"
        "lf_1  1     bash       git push origin main   bob           5m\n");
  std::string wide = format_approvals(gates, true, now, k_plain);
  CHECK(wide.find("lf_2  3     edit_file  src/a.c (+2 -1 lines)  ci (tcp)      1h\n"
                  "    --- a/src/a.c\n    +++ b/src/a.c\n    @@ -1,2 +1,2 @@\n    -int x;\n"
                  "    +int y;\n    +int z;\n    (rule edit_file:src/*)\n"
                  "lf_1") != std::string::npos);
  CHECK(format_approvals(Json::array(), false, now, k_plain).empty());
}

TEST_CASE("live view: gate opened, decided, and a denied call") {
  Json opened{{"type", "gate_opened"}, {"leaf", "lf_1"}, {"seq", 7}, {"data", push_gate()}};
  CHECK(format_event(opened, k_plain) ==
        "⏸ gate 1: approval needed for `git push origin main` (rule bash:git push*) — "
        "harnessctl approve lf_1 --gate 1\n");
  Json asked{{"type", "gate_opened"}, {"leaf", "lf_3"}, {"data", request_gate()}};
  CHECK(
      format_event(asked, k_plain) ==
      "⏸ gate 1: the agent asks for approval: deploy to prod — harnessctl approve lf_3 --gate "
      "1\n    proposed: run deploy.sh\n");
  Json diff{{"type", "gate_opened"}, {"leaf", "lf_2"}, {"data", diff_gate()}};
  CHECK(format_event(diff, k_plain)
            .rfind("⏸ gate 3: approval needed for edit_file src/a.c "
                   "(rule edit_file:src/*) — harnessctl approve lf_2 "
                   "--gate 3\n    --- a/src/a.c\n",
                   0) == 0);

  auto decided = [](Json data) { return Json{{"type", "gate_decided"}, {"data", data}}; };
  Json alice{{"name", "alice"}, {"uid", 1001}, {"transport", "unix"}};
  CHECK(format_event(decided({{"gate", 1},
                              {"verdict", "approved"},
                              {"stop", false},
                              {"message", "ship it"},
                              {"by", alice}}),
                     k_plain) == "✔ gate 1 approved by alice: ship it\n");
  CHECK(format_event(decided({{"gate", 2},
                              {"verdict", "rejected"},
                              {"stop", false},
                              {"message", "no"},
                              {"by", {{"name", "bob"}}}}),
                     k_plain) == "✘ gate 2 rejected by bob: no\n");
  CHECK(format_event(
            decided({{"gate", 2},
                     {"verdict", "rejected"},
                     {"stop", true},
                     {"message", nullptr},
                     {"by", {{"name", "ci"}, {"transport", "tcp"}, {"remote", "10.0.0.5"}}}}),
            k_plain) == "✘ gate 2 rejected by ci (tcp 10.0.0.5) (leaf stopped)\n");
  CHECK(format_event(decided({{"gate", 4},
                              {"verdict", "rejected"},
                              {"stop", true},
                              {"by", {{"name", "gate_timeout"}}}}),
                     k_plain) == "✘ gate 4 expired (gate_timeout) (leaf stopped)\n");

  Json denied{{"type", "tool_finished"},
              {"data",
               {{"call_id", "c1"},
                {"name", "bash"},
                {"exit_code", nullptr},
                {"output", "denied by policy rule bash:rm *"},
                {"is_error", true},
                {"denied", true},
                {"rule", "bash:rm *"},
                {"duration_ms", 0}}}};
  CHECK(format_event(denied, k_plain) == "→ denied by policy (rule bash:rm *)\n");
  CHECK(format_event(decided({}), Style{true}).find("\x1b[31m") != std::string::npos);
}

TEST_CASE("status shows the open gate, the policy and the submitter") {
  Json leaf{{"id", "lf_1"},
            {"state", "awaiting_approval"},
            {"policy", {{"name", "release"}, {"ask", {"bash:git push*"}}}},
            {"submitted_by", {{"name", "bob"}, {"uid", 1002}, {"transport", "unix"}}},
            {"gate", push_gate()}};
  std::string s = format_status(leaf, k_plain);
  CHECK(s.find("state:     awaiting_approval\n"
               "gate:      1 · bash `git push origin main` (rule bash:git push*) · opened "
               "2026-11-22T10:00:00.000Z — harnessctl approve lf_1 --gate 1\n") !=
        std::string::npos);
  CHECK(s.find("policy:    release\n") != std::string::npos);
  CHECK(s.find("submitter: bob\n") != std::string::npos);
  leaf["gate"] = nullptr;
  CHECK(format_status(leaf, k_plain).find("gate:") == std::string::npos);
}

TEST_CASE("verdict requests follow docs/api.md") {
  VerdictOptions o;
  o.id = "lf_1";
  VerdictRequest a = build_verdict_request(o, Verdict::approve);
  CHECK(a.path == "/v1/leaves/lf_1/approve");
  CHECK(a.body == Json::object());
  o.gate = 2;
  o.message = "ship it";
  CHECK(build_verdict_request(o, Verdict::approve).body ==
        Json{{"gate", 2}, {"message", "ship it"}});
  o.stop = true;
  VerdictRequest r = build_verdict_request(o, Verdict::reject);
  CHECK(r.path == "/v1/leaves/lf_1/reject");
  CHECK(r.body == Json{{"gate", 2}, {"message", "ship it"}, {"stop", true}});
  o = VerdictOptions{};
  o.id = "lf_1";
  CHECK(build_verdict_request(o, Verdict::reject).body == Json{{"stop", false}});
}

TEST_CASE("verdict answers read as what happened") {
  Json by{{"name", "alice"}, {"uid", 1001}, {"transport", "unix"}};
  Json answer{
      {"leaf", {{"id", "lf_1"}, {"state", "running"}}},
      {"verdict",
       {{"gate", 2}, {"verdict", "approved"}, {"stop", false}, {"message", "ok"}, {"by", by}}},
      {"already", false}};
  CHECK(describe_verdict(answer, "lf_1") == "approved gate 2 of lf_1 (the leaf continues)");
  answer["already"] = true;
  CHECK(describe_verdict(answer, "lf_1") ==
        "gate 2 was already approved by alice — nothing changed");
  answer["already"] = false;
  answer["verdict"]["verdict"] = "rejected";
  CHECK(describe_verdict(answer, "lf_1") ==
        "rejected gate 2 of lf_1 (the model is told no and continues)");
  answer["verdict"]["stop"] = true;
  answer["leaf"]["state"] = "rejected";
  CHECK(describe_verdict(answer, "lf_1") ==
        "rejected gate 2 of lf_1 and stopped the leaf (now rejected)");
}
