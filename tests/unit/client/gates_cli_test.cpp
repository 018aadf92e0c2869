// approvals / approve / reject end to end against a fake daemon: what is sent, what is printed,
// and which exit code each daemon answer gives.
#include <doctest/doctest.h>

#include <sstream>

#include "lib/client/cli.hpp"
#include "tests/unit/client/test_server.hpp"

using namespace harness;
using namespace harness::client;
using namespace harness::client::testing;

namespace {
Json gate_json() {
  return Json{{"leaf", "lf_parked"},
              {"gate", 1},
              {"tool", "bash"},
              {"input", {{"command", "echo pushing > pushed.txt"}}},
              {"kind", "policy"},
              {"rule", "bash:echo pushing*"},
              {"command", "echo pushing > pushed.txt"},
              {"submitted_by", {{"name", "bob"}, {"uid", 1002}, {"transport", "unix"}}},
              {"opened_at", "2026-11-22T10:00:00.000Z"}};
}

void send_error(int fd, int status, const char* code, const std::string& message) {
  send_json(fd, status, Json{{"error", {{"code", code}, {"message", message}}}}.dump());
}

// Leaves named after how the daemon answers a verdict on them.
void gate_daemon(const Request& r, int fd) {
  if (r.target == "/v1/approvals")
    return send_json(fd, 200, Json{{"approvals", {gate_json()}}}.dump());
  std::string rest = r.target.substr(std::string("/v1/leaves/").size());
  std::string id = rest.substr(0, rest.find('/'));
  if (id == "lf_forbidden") return send_error(fd, 403, "forbidden", "bob lacks the approve role");
  if (id == "lf_conflict")
    return send_error(fd, 409, "conflict", "gate 1 of lf_conflict was rejected by alice");
  if (id == "lf_missing") return send_error(fd, 404, "not_found", "no leaf lf_missing");
  if (rest.find("/wait") != std::string::npos)
    return send_json(fd, 200, Json{{"id", id}, {"state", "awaiting_approval"}}.dump());
  Json body = Json::parse(r.body);
  bool approve = rest.find("/approve") != std::string::npos;
  Json verdict{{"gate", body.value("gate", 1)},
               {"verdict", approve ? "approved" : "rejected"},
               {"stop", body.value("stop", false)},
               {"message", body.value("message", "")},
               {"by", {{"name", "alice"}, {"transport", "unix"}}}};
  send_json(
      fd, 200,
      Json{{"leaf", {{"id", id}, {"state", body.value("stop", false) ? "rejected" : "running"}}},
           {"verdict", verdict},
           {"already", id == "lf_already"}}
          .dump());
}

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run harnessctl(const TestServer& server, std::vector<std::string> args) {
  std::vector<std::string> argv = {"harnessctl", "--socket", server.socket_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(a.c_str());
  std::ostringstream out, err;
  std::istringstream in;
  EnvLookup no_env = [](const std::string&) { return std::optional<std::string>(); };
  int code = run_cli(static_cast<int>(ptrs.size()), ptrs.data(), Io{out, err, in}, no_env);
  return {code, out.str(), err.str()};
}
}  // namespace

TEST_CASE("approvals prints the table, or the API object with schema 1") {
  TestServer server(gate_daemon);
  Run text = harnessctl(server, {"approvals"});
  CHECK(text.code == 0);
  CHECK(text.out.rfind("LEAF       GATE  TOOL  WHAT                       SUBMITTED BY  SINCE\n"
                       "lf_parked  1     bash  echo pushing > pushed.txt  bob",
                       0) == 0);
  Run json = harnessctl(server, {"approvals", "-o", "json"});
  CHECK(json.code == 0);
  Json j = Json::parse(json.out);
  CHECK(j["schema"] == 1);
  CHECK(j["approvals"][0]["command"] == "echo pushing > pushed.txt");
  CHECK(server.requests().at(0).method == "GET");
  CHECK(harnessctl(server, {"approvals", "-o", "wide"}).out.find("(rule bash:echo pushing*)") !=
        std::string::npos);
}

TEST_CASE("approve and reject post the verdict and say what happened") {
  TestServer server(gate_daemon);
  Run ok = harnessctl(server, {"approve", "lf_parked", "--gate", "1", "-m", "ship it"});
  CHECK(ok.code == 0);
  CHECK(ok.out == "approved gate 1 of lf_parked (the leaf continues)\n");
  auto req = server.requests().back();
  CHECK(req.method == "POST");
  CHECK(req.target == "/v1/leaves/lf_parked/approve");
  CHECK(Json::parse(req.body) == Json{{"gate", 1}, {"message", "ship it"}});

  Run no = harnessctl(server, {"reject", "lf_parked", "--message", "not today"});
  CHECK(no.code == 0);
  CHECK(no.out == "rejected gate 1 of lf_parked (the model is told no and continues)\n");
  CHECK(server.requests().back().target == "/v1/leaves/lf_parked/reject");
  CHECK(Json::parse(server.requests().back().body) ==
        Json{{"message", "not today"}, {"stop", false}});

  Run stop = harnessctl(server, {"reject", "lf_parked", "--stop"});
  CHECK(stop.out == "rejected gate 1 of lf_parked and stopped the leaf (now rejected)\n");
  CHECK(Json::parse(server.requests().back().body) == Json{{"stop", true}});

  Run again = harnessctl(server, {"approve", "lf_already"});
  CHECK(again.code == 0);
  CHECK(again.out == "gate 1 was already approved by alice — nothing changed\n");
  Run json = harnessctl(server, {"approve", "lf_already", "-o", "json"});
  CHECK(Json::parse(json.out)["already"] == true);
  CHECK(Json::parse(json.out)["schema"] == 1);
}

TEST_CASE("verdict refusals: 403 exits 4, 409 exits 1, 404 exits 9, with the daemon's words") {
  TestServer server(gate_daemon);
  Run denied = harnessctl(server, {"approve", "lf_forbidden"});
  CHECK(denied.code == 4);
  CHECK(denied.err == "harnessctl: bob lacks the approve role\n");
  Run conflict = harnessctl(server, {"approve", "lf_conflict"});
  CHECK(conflict.code == 1);
  CHECK(conflict.err.find("was rejected by alice") != std::string::npos);
  CHECK(harnessctl(server, {"reject", "lf_missing"}).code == 9);
  size_t sent = server.requests().size();
  CHECK(harnessctl(server, {"approve"}).code == 2);
  CHECK(harnessctl(server, {"approve", "lf_x", "--gate", "0"}).code == 2);
  CHECK(harnessctl(server, {"approve", "lf_x", "--stop"}).code == 2);
  CHECK(server.requests().size() == sent);
}

TEST_CASE("wait keeps waiting on a leaf parked at a gate, then exits 8 and points at approvals") {
  TestServer server(gate_daemon);
  Run r = harnessctl(server, {"wait", "lf_parked", "--timeout", "1s"});
  CHECK(r.code == 8);
  CHECK(r.err.find("still awaiting_approval") != std::string::npos);
  CHECK(r.err.find("harnessctl approve lf_parked") != std::string::npos);
}
