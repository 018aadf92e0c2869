#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/base/base64.hpp"
#include "lib/client/submit_request.hpp"

using namespace harness;
using namespace harness::client;

namespace {
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/harnessctl-req-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& data) const {
    std::ofstream(path + "/" + name, std::ios::binary) << data;
    return path + "/" + name;
  }
};

Result<SubmitRequest> build(const SubmitOptions& o, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  return build_submit_request(o, in, "/home/dev/proj");
}
}  // namespace

TEST_CASE("the prompt comes from the argument, -f FILE, or stdin only for -") {
  TempDir tmp;
  SubmitOptions o;
  o.prompt = "fix the test";
  auto r = build(o, "ignored stdin");
  REQUIRE(r);
  CHECK(r->body["prompt"] == "fix the test");
  CHECK(r->path == "/v1/leaves");

  o.prompt = "-";
  CHECK(build(o, "from stdin\n")->body["prompt"] == "from stdin\n");

  o.prompt.clear();
  o.prompt_file = tmp.write("p.txt", "from a file");
  CHECK(build(o)->body["prompt"] == "from a file");

  o.prompt_file.clear();
  auto none = build(o, "stdin must not be read");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::bad_request);
  CHECK(none.error().message.find("no prompt") != std::string::npos);

  o.prompt_file = tmp.path + "/missing.txt";
  auto missing = build(o);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::bad_request);
  CHECK(missing.error().message.find("missing.txt") != std::string::npos);
}

TEST_CASE("labels, limits, timeout and policy flags become body fields") {
  SubmitOptions o;
  o.prompt = "p";
  o.labels = {"team=infra", "ticket=a=b"};
  o.max_turns = 7;
  o.timeout = "10m";
  o.model = "local";
  o.policy = "strict";
  o.ask = {"bash:git push*"};
  o.deny = {"write_file"};
  o.budget_usd = 1.5;
  auto r = build(o);
  REQUIRE(r);
  CHECK(r->body["labels"] == Json{{"team", "infra"}, {"ticket", "a=b"}});
  CHECK(r->body["max_turns"] == 7);
  CHECK(r->body["timeout_s"] == 600);
  CHECK(r->body["model"] == "local");
  CHECK_FALSE(r->body.contains("sandbox"));
  CHECK(r->body["policy"] == "strict");
  CHECK(r->body["ask"] == Json::array({"bash:git push*"}));
  CHECK(r->body["deny"] == Json::array({"write_file"}));
  CHECK_FALSE(r->body.contains("allow"));
  CHECK(r->body["budget_usd"] == 1.5);
  o.allow = {"read_file:*", "bash:make test"};
  CHECK(build(o)->body["allow"] == Json::array({"read_file:*", "bash:make test"}));
  o.allow.clear();

  o.timeout = "1500ms";
  CHECK(build(o)->body["timeout_s"] == 1.5);
  o.timeout = "soon";
  CHECK(build(o).error().code == ErrorCode::bad_request);
  o.timeout.clear();
  o.labels = {"novalue"};
  auto bad = build(o);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("novalue") != std::string::npos);
  o.labels = {"=v"};
  CHECK_FALSE(build(o));
}

TEST_CASE("inputs are read client-side and sent base64 under their base name") {
  TempDir tmp;
  std::string bytes("a\0b\xff", 4);
  SubmitOptions o;
  o.prompt = "p";
  o.inputs = {tmp.write("data.bin", bytes)};
  auto r = build(o);
  REQUIRE(r);
  REQUIRE(r->body["inputs"].size() == 1);
  CHECK(r->body["inputs"][0]["path"] == "data.bin");
  CHECK(*base64_decode(r->body["inputs"][0]["data_b64"].get<std::string>()) == bytes);

  o.inputs.push_back(tmp.path + "/nope.txt");
  auto missing = build(o);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::bad_request);
  CHECK(missing.error().message.find("nope.txt") != std::string::npos);
}

TEST_CASE("--workdir is made absolute, --session picks the resume route") {
  SubmitOptions o;
  o.prompt = "p";
  o.workdir = "./sub/../src/";
  o.session = "ses_01ABC";
  o.idempotency_key = "k-1";
  auto r = build(o);
  REQUIRE(r);
  CHECK(r->body["workdir"] == "/home/dev/proj/src");
  CHECK(r->path == "/v1/sessions/ses_01ABC/leaves");
  CHECK_FALSE(r->body.contains("session"));
  REQUIRE(r->headers.size() == 1);
  CHECK(r->headers[0] == std::pair<std::string, std::string>{"Idempotency-Key", "k-1"});
  o.workdir = ".";
  CHECK(build(o)->body["workdir"] == "/home/dev/proj");
  o.workdir = "/abs/dir";
  CHECK(build(o)->body["workdir"] == "/abs/dir");
}
