// harnessctl end to end against a fake daemon on a unix socket: argv in, exit code and output
// out, plus what the daemon was asked.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/client/cli.hpp"
#include "lib/client/interrupt.hpp"
#include "tests/unit/client/test_server.hpp"

using namespace harness;
using namespace harness::client;
using namespace harness::client::testing;

namespace {
Json leaf(const std::string& id, const std::string& state, const std::string& reason = "",
          const std::string& result = "") {
  return Json{{"id", id},
              {"session", "ses_" + id},
              {"state", state},
              {"reason", reason.empty() ? Json() : Json(reason)},
              {"message", nullptr},
              {"result", result.empty() ? Json() : Json(result)},
              {"prompt", "p"},
              {"model", "default"},
              {"turns", 1},
              {"usage", {{"input_tokens", 10}, {"output_tokens", 2}}},
              {"created_at", "2026-11-22T10:00:00.000Z"},
              {"finished_at", nullptr}};
}

// A fake harnessd: leaves named after their outcome; "run" leaves stream a few events.
void fake_daemon(const Request& r, int fd) {
  auto id_in = [&](const std::string& prefix) {
    std::string rest = r.target.substr(prefix.size());
    return rest.substr(0, rest.find_first_of("/?"));
  };
  if (r.method == "POST" && (r.target == "/v1/leaves" || r.target.rfind("/v1/sessions/", 0) == 0)) {
    Json body = Json::parse(r.body);
    std::string prompt = body["prompt"];
    return send_json(fd, 201,
                     leaf(prompt.rfind("lf_", 0) == 0 ? prompt : "lf_new", "queued").dump());
  }
  if (r.target.rfind("/v1/leaves?", 0) == 0 || r.target == "/v1/leaves")
    return send_json(
        fd, 200,
        Json{{"leaves", {leaf("lf_ok", "succeeded", "completed")}}, {"next_cursor", nullptr}}
            .dump());
  if (r.target.rfind("/v1/leaves/", 0) != 0)
    return send_json(fd, 404, R"({"error":{"code":"not_found","message":"no route"}})");
  std::string id = id_in("/v1/leaves/");
  if (id == "lf_missing")
    return send_json(fd, 404, R"({"error":{"code":"not_found","message":"no leaf lf_missing"}})");
  Json l = id == "lf_ok" || id == "lf_new" ? leaf(id, "succeeded", "completed", "the answer")
           : id == "lf_limit"              ? leaf(id, "failed", "max_turns")
           : id == "lf_model"              ? leaf(id, "failed", "model_error")
           : id == "lf_rejected"           ? leaf(id, "rejected", "rejected")
           : id == "lf_cancelled"          ? leaf(id, "cancelled", "cancelled")
           : id == "lf_drop"               ? leaf(id, "failed", "budget")
                                           : leaf(id, "running");
  if (r.target.find("/events") != std::string::npos &&
      r.target.find("follow=1") != std::string::npos) {
    begin_chunks(fd);
    send_chunk(fd, Json{{"type", "model_response"},
                        {"seq", 2},
                        {"data",
                         {{"turn", 1},
                          {"latency_ms", 5},
                          {"usage", {{"input_tokens", 1204}, {"output_tokens", 88}}}}}}
                           .dump() +
                       "\n");
    send_chunk(fd, R"({"type":"heartbeat"})"
                   "\n");
    if (id != "lf_drop") send_chunk(fd, Json{{"type", "end"}, {"leaf", l}}.dump() + "\n");
    return end_chunks(fd);
  }
  if (r.target.find("/events") != std::string::npos)
    return send_json(
        fd, 200,
        Json{{"events", {{{"type", "leaf_started"}, {"seq", 2}, {"data", Json::object()}}}}}
            .dump());
  if (r.target.find("/cancel") != std::string::npos)
    return send_json(fd, 200, leaf(id, "cancelled", "cancelled").dump());
  send_json(fd, 200, l.dump());
}

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run harnessctl(const TestServer& server, std::vector<std::string> args,
               const std::string& stdin_text = "") {
  std::vector<std::string> argv = {"harnessctl", "--socket", server.socket_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(a.c_str());
  std::ostringstream out, err;
  std::istringstream in(stdin_text);
  EnvLookup no_env = [](const std::string&) { return std::optional<std::string>(); };
  int code = run_cli(static_cast<int>(ptrs.size()), ptrs.data(), Io{out, err, in}, no_env);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("submit -q prints only the id and sends the flags") {
  TestServer server(fake_daemon);
  Run r = harnessctl(server, {"submit", "-q", "fix it", "--label", "team=a", "--max-turns", "5",
                              "--timeout", "2m", "--idempotency-key", "k9"});
  CHECK(r.code == 0);
  CHECK(r.out == "lf_new\n");
  CHECK(r.err.empty());
  auto req = server.requests().at(0);
  CHECK(req.target == "/v1/leaves");
  CHECK(req.headers["idempotency-key"] == "k9");
  Json body = Json::parse(req.body);
  CHECK(body["prompt"] == "fix it");
  CHECK(body["labels"] == Json{{"team", "a"}});
  CHECK(body["max_turns"] == 5);
  CHECK(body["timeout_s"] == 120);

  Run plain = harnessctl(server, {"submit", "-"}, "prompt from stdin");
  CHECK(plain.code == 0);
  CHECK(plain.out == "lf_new\n");
  CHECK(plain.err.find("harnessctl logs -f lf_new") != std::string::npos);
  CHECK(Json::parse(server.requests().at(1).body)["prompt"] == "prompt from stdin");
}

TEST_CASE("usage errors exit 2 and send nothing") {
  TestServer server(fake_daemon);
  CHECK(harnessctl(server, {"submit"}, "stdin is not read").code == 2);
  Run missing = harnessctl(server, {"submit", "p", "--input", "/nonexistent/x.txt"});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("/nonexistent/x.txt") != std::string::npos);
  CHECK(harnessctl(server, {"submit", "p", "--label", "nolabel"}).code == 2);
  CHECK(harnessctl(server, {"submit", "p", "--max-turns", "many"}).code == 2);
  CHECK(harnessctl(server, {"submit", "p", "--bogus"}).code == 2);
  CHECK(harnessctl(server, {"frobnicate"}).code == 2);
  CHECK(harnessctl(server, {"completion", "tcsh"}).code == 2);
  CHECK(harnessctl(server, {"wait"}).code == 2);
  CHECK(server.requests().empty());
  Run help = harnessctl(server, {"submit", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("--idempotency-key") != std::string::npos);
}

TEST_CASE("wait exits with the leaf's code; several ids give the first non-zero") {
  TestServer server(fake_daemon);
  CHECK(harnessctl(server, {"wait", "lf_ok"}).code == 0);
  CHECK(harnessctl(server, {"wait", "lf_model"}).code == 3);
  CHECK(harnessctl(server, {"wait", "lf_limit"}).code == 7);
  CHECK(harnessctl(server, {"wait", "lf_rejected"}).code == 5);
  CHECK(harnessctl(server, {"wait", "lf_cancelled"}).code == 6);
  CHECK(harnessctl(server, {"wait", "lf_missing"}).code == 9);
  CHECK(harnessctl(server, {"wait", "lf_ok", "lf_cancelled", "lf_limit"}).code == 6);
  Run timeout = harnessctl(server, {"wait", "lf_running", "--timeout", "1s"});
  CHECK(timeout.code == 8);
  CHECK(timeout.err.find("still running") != std::string::npos);
  std::vector<std::string> polls;
  for (const auto& req : server.requests())
    if (req.target.rfind("/v1/leaves/lf_running/wait", 0) == 0) polls.push_back(req.target);
  REQUIRE_FALSE(polls.empty());
  CHECK(polls.front() == "/v1/leaves/lf_running/wait?timeout=1");
  CHECK(polls.size() <= 4);  // a daemon answering at once does not cause a busy loop
  Run json = harnessctl(server, {"wait", "lf_ok", "-o", "json"});
  CHECK(Json::parse(json.out)["schema"] == 1);
  CHECK(Json::parse(json.out)["state"] == "succeeded");
}

TEST_CASE("Ctrl-C makes a blocking wait return 130") {
  TestServer server(fake_daemon);
  request_interrupt();
  Run r = harnessctl(server, {"wait", "lf_running"});
  reset_interrupt();
  CHECK(r.code == 130);
  CHECK(r.err.find("keeps running") != std::string::npos);
}

TEST_CASE("run follows the stream, prints the answer and exits with the wait code") {
  TestServer server(fake_daemon);
  Run ok = harnessctl(server, {"run", "lf_ok"});
  CHECK(ok.code == 0);
  CHECK(ok.out == "the answer\n");
  CHECK(ok.err.find("turn 1 · model 5ms · 1,204 in / 88 out tokens") != std::string::npos);
  CHECK(ok.err.find("succeeded (completed)") != std::string::npos);
  CHECK(harnessctl(server, {"run", "lf_limit"}).code == 7);
  // The stream drops before its end line: harnessctl falls back to waiting.
  Run dropped = harnessctl(server, {"run", "lf_drop"});
  CHECK(dropped.code == 7);
  CHECK(server.requests().back().target.find("/v1/leaves/lf_drop/wait") == 0);
  CHECK(harnessctl(server, {"submit", "--wait", "lf_rejected"}).code == 5);
}

TEST_CASE("resume and --session post to the session's route") {
  TestServer server(fake_daemon);
  CHECK(harnessctl(server, {"resume", "ses_9", "more", "-q"}).code == 0);
  CHECK(server.requests().at(0).target == "/v1/sessions/ses_9/leaves");
  CHECK(harnessctl(server, {"submit", "more", "--session", "ses_8"}).code == 0);
  CHECK(server.requests().at(1).target == "/v1/sessions/ses_8/leaves");
}

TEST_CASE("status, ls, logs and cancel print data, JSON with schema 1") {
  TestServer server(fake_daemon);
  Run st = harnessctl(server, {"status", "lf_ok", "-o", "json"});
  CHECK(st.code == 0);
  Json j = Json::parse(st.out);
  CHECK(j["schema"] == 1);
  for (const char* k : {"id", "session", "state", "reason", "message", "result", "created_at",
                        "finished_at", "usage"})
    CHECK(j.contains(k));
  CHECK(harnessctl(server, {"get", "lf_ok"}).out.find("state:     succeeded") != std::string::npos);
  CHECK(harnessctl(server, {"status", "lf_missing"}).code == 9);

  Run ls = harnessctl(server, {"ls", "--label", "team=a", "--state", "succeeded", "-o", "json"});
  CHECK(ls.code == 0);
  CHECK(Json::parse(ls.out)["schema"] == 1);
  CHECK(Json::parse(ls.out)["leaves"].size() == 1);
  CHECK(server.requests().back().target == "/v1/leaves?state=succeeded&label=team%3Da");
  CHECK(harnessctl(server, {"list", "-o", "wide"}).out.find("SESSION") != std::string::npos);
  CHECK(harnessctl(server, {"ls", "--state", "sleeping"}).code == 2);

  Run logs = harnessctl(server, {"logs", "lf_ok", "-o", "json", "--since", "1"});
  CHECK(logs.code == 0);
  CHECK(Json::parse(logs.out)["type"] == "leaf_started");
  CHECK(Json::parse(logs.out)["schema"] == 1);
  CHECK(server.requests().back().target == "/v1/leaves/lf_ok/events?after=1");
  CHECK(harnessctl(server, {"logs", "lf_ok", "-f"}).out.find("turn 1 · model") !=
        std::string::npos);

  Run cancel = harnessctl(server, {"cancel", "lf_x"});
  CHECK(cancel.code == 0);
  CHECK(server.requests().back().method == "POST");
  CHECK(server.requests().back().target == "/v1/leaves/lf_x/cancel");
}

TEST_CASE("an unreachable daemon is exit 10, except for version") {
  char tmpl[] = "/tmp/harnessctl-none-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::vector<const char*> argv = {"harnessctl", "--socket", "", "status", "lf_x"};
  std::string sock = dir + "/nothing.sock";
  argv[2] = sock.c_str();
  std::ostringstream out, err;
  std::istringstream in;
  auto env = [](const std::string&) { return std::optional<std::string>(); };
  CHECK(run_cli(5, argv.data(), Io{out, err, in}, env) == 10);
  CHECK(err.str().find("cannot reach harnessd at " + sock) != std::string::npos);
  argv[3] = "version";
  CHECK(run_cli(4, argv.data(), Io{out, err, in}, env) == 0);
  CHECK(out.str().find("harnessctl 0.1.0") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the committed completion scripts are what harnessctl generates") {
  std::filesystem::path root = std::filesystem::path(__FILE__).parent_path() / "../../..";
  for (auto [shell, file] : {std::pair{"bash", "harnessctl.bash"},
                             {"zsh", "_harnessctl"},
                             {"fish", "harnessctl.fish"}}) {
    std::ifstream f(root / "share/completions" / file);
    REQUIRE(f.good());
    std::stringstream committed;
    committed << f.rdbuf();
    INFO("regenerate with: harnessctl completion " << shell << " > share/completions/" << file);
    CHECK(committed.str() == completion_script(shell));
  }
  CHECK(completion_script("bash").find("--idempotency-key") != std::string::npos);
  CHECK(completion_script("tcsh").empty());
}

TEST_CASE("the man page documents every flag and every exit code") {
  std::filesystem::path root = std::filesystem::path(__FILE__).parent_path() / "../../..";
  std::ifstream f(root / "man/harnessctl.1");
  REQUIRE(f.good());
  std::stringstream man;
  man << f.rdbuf();
  std::istringstream words(completion_script("bash"));
  std::string w;
  while (words >> w) {
    if (w.rfind("--", 0) != 0 || w.find_first_of("\"|)") != std::string::npos) continue;
    std::string roff;
    for (char ch : w) roff += ch == '-' ? std::string("\\-") : std::string(1, ch);
    INFO(w);
    CHECK(man.str().find(roff) != std::string::npos);
  }
  for (int code : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 130})
    CHECK(man.str().find(".B " + std::to_string(code) + "\n") != std::string::npos);
}

TEST_CASE("a repeatable flag takes one value per occurrence and never eats the prompt") {
  TestServer server(fake_daemon);
  Run r =
      harnessctl(server, {"submit", "-q", "--label", "team=a", "--label", "env=ci", "--ask", "bash",
                          "--allow", "read_file", "--deny", "write_file:/etc/*", "fix it"});
  CHECK(r.code == 0);
  INFO(r.err);
  REQUIRE(server.requests().size() == 1);
  Json body = Json::parse(server.requests().at(0).body);
  CHECK(body["prompt"] == "fix it");
  CHECK(body["labels"] == Json{{"team", "a"}, {"env", "ci"}});
  CHECK(body["ask"] == Json{"bash"});
  CHECK(body["allow"] == Json{"read_file"});
  CHECK(body["deny"] == Json{"write_file:/etc/*"});
  CHECK(harnessctl(server, {"resume", "ses_9", "--label", "a=b", "more", "-q"}).code == 0);
  CHECK(Json::parse(server.requests().at(1).body)["prompt"] == "more");
  CHECK(harnessctl(server, {"run", "--label", "a=b", "lf_ok"}).code == 0);
  CHECK(Json::parse(server.requests().at(2).body)["prompt"] == "lf_ok");
}

TEST_CASE("no command prints usage; a typo suggests the nearest; help CMD is CMD --help") {
  TestServer server(fake_daemon);
  Run none = harnessctl(server, {});
  CHECK(none.code == 2);
  CHECK(none.err.find("submit") != std::string::npos);
  CHECK(none.err.find("approvals") != std::string::npos);
  CHECK(none.err.find("A subcommand is required") == std::string::npos);

  Run typo = harnessctl(server, {"sumbit", "fix it"});
  CHECK(typo.code == 2);
  CHECK(typo.err.find("unknown command 'sumbit' — did you mean submit?") != std::string::npos);
  CHECK(harnessctl(server, {"aprove", "lf_x"}).err.find("did you mean approve?") !=
        std::string::npos);
  Run far = harnessctl(server, {"frobnicate"});
  CHECK(far.code == 2);
  CHECK(far.err.find("did you mean") == std::string::npos);

  Run help = harnessctl(server, {"help", "submit"});
  CHECK(help.code == 0);
  CHECK(help.out == harnessctl(server, {"submit", "--help"}).out);
  CHECK(help.out.find("--idempotency-key") != std::string::npos);
  CHECK(help.out.find("Global options") != std::string::npos);
  CHECK(help.out.find("--socket") != std::string::npos);
  CHECK(harnessctl(server, {"help"}).out.find("approvals") != std::string::npos);
  CHECK(harnessctl(server, {"help", "sumbit"}).code == 2);
  CHECK(server.requests().empty());
}

TEST_CASE("range errors state the range plainly") {
  TestServer server(fake_daemon);
  Run zero = harnessctl(server, {"submit", "--max-turns", "0", "p"});
  CHECK(zero.code == 2);
  CHECK(zero.err == "harnessctl: --max-turns must be between 1 and 10000\n");
  CHECK(harnessctl(server, {"submit", "--max-turns", "10001", "p"}).code == 2);
  CHECK(harnessctl(server, {"approve", "lf_x", "--gate", "0"}).err ==
        "harnessctl: --gate must be 1 or more\n");
  CHECK(harnessctl(server, {"ls", "--limit", "-3"}).code == 2);
  CHECK(server.requests().empty());
  CHECK(harnessctl(server, {"submit", "-q", "--max-turns", "10000", "p"}).code == 0);
}
