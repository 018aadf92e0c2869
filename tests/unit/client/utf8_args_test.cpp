// harnessctl and bytes that are not UTF-8: an argument is a usage error naming it (never an
// abort); a prompt read from a file or stdin is repaired and the user is told.
#include <doctest/doctest.h>

#include <sstream>

#include "lib/base/utf8.hpp"
#include "lib/client/cli.hpp"
#include "lib/client/submit_request.hpp"
#include "tests/unit/client/test_server.hpp"

using namespace harness;
using namespace harness::client;
using namespace harness::client::testing;

namespace {
struct Run {
  int code;
  std::string out, err;
};

Run harnessctl(const std::string& socket, std::vector<std::string> args,
               const std::string& stdin_text = "") {
  std::vector<std::string> argv = {"harnessctl", "--socket", socket};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> ptrs;
  for (const auto& a : argv) ptrs.push_back(a.c_str());
  std::ostringstream out, err;
  std::istringstream in(stdin_text);
  EnvLookup no_env = [](const std::string&) { return std::optional<std::string>(); };
  int code = run_cli(static_cast<int>(ptrs.size()), ptrs.data(), Io{out, err, in}, no_env);
  return {code, out.str(), err.str()};
}

const std::string k_bad = "caf\xE9\xFF";
}  // namespace

TEST_CASE("harnessctl: an argument that is not UTF-8 is exit 2 naming it") {
  const std::string nowhere = "/nonexistent/harness.sock";
  struct Case {
    std::vector<std::string> args;
    std::string name;
  };
  for (const Case& c : std::vector<Case>{{{"submit", k_bad}, "prompt"},
                                         {{"run", k_bad}, "prompt"},
                                         {{"submit", "p", "--label", "k=" + k_bad}, "--label"},
                                         {{"submit", "p", "--workdir", k_bad}, "--workdir"},
                                         {{"submit", "p", "--input", "/tmp/" + k_bad}, "--input"},
                                         {{"submit", "p", "--model", k_bad}, "--model"},
                                         {{"status", "lf_" + k_bad}, "id"},
                                         {{"approve", "lf_x", "-m", k_bad}, "--message"}}) {
    Run r = harnessctl(nowhere, c.args);
    CHECK_MESSAGE(r.code == 2, c.name);
    CHECK_MESSAGE(r.err == "harnessctl: " + c.name + ": the argument is not valid UTF-8\n", r.err);
  }
  CHECK(harnessctl(k_bad, {"status", "lf_x"}).code == 2);  // --socket too
}

TEST_CASE("harnessctl: a prompt from stdin that is not UTF-8 is repaired and said so") {
  std::string posted;
  TestServer server([&](const Request& r, int fd) {
    posted = r.body;
    send_json(fd, 201, R"({"id":"lf_new","session":"ses_1","state":"queued"})");
  });
  Run r = harnessctl(server.socket_path(), {"submit", "-q", "-"}, "fix " + k_bad);
  CHECK(r.code == 0);
  CHECK(r.out == "lf_new\n");
  CHECK(r.err.find("the prompt from stdin is not valid UTF-8; invalid bytes were replaced by "
                   "U+FFFD") != std::string::npos);
  CHECK(Json::parse(posted)["prompt"] == "fix caf\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("submit request: prompt files are repaired with a note, a workdir must be UTF-8") {
  SubmitOptions o;
  o.prompt = "-";
  std::istringstream in("x\xC0");
  auto r = build_submit_request(o, in, "/home");
  REQUIRE(r.has_value());
  CHECK(r->notes.size() == 1);
  CHECK(valid_utf8(r->body["prompt"].get<std::string>()));
  SubmitOptions w;
  w.prompt = "p";
  w.workdir = "sub";
  std::istringstream none;
  auto bad_cwd = build_submit_request(w, none, "/home/" + k_bad);
  REQUIRE_FALSE(bad_cwd.has_value());
  CHECK(bad_cwd.error().message.find("--workdir") != std::string::npos);
  CHECK(valid_utf8(bad_cwd.error().message));
  SubmitOptions t;
  t.prompt = "p";
  t.timeout = "500ms";
  CHECK_FALSE(build_submit_request(t, none, "/").has_value());
  t.timeout = "400d";
  CHECK_FALSE(build_submit_request(t, none, "/").has_value());
}
