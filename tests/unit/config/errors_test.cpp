#include <doctest/doctest.h>

#include <string>

#include "lib/config/config.hpp"
#include "tests/unit/config/test_helpers.hpp"

using namespace harness;
using namespace harness::config;
using harness::config::test::contains;
using harness::config::test::parse;
using harness::config::test::user_env;

namespace {

// The error message for `text`, which must fail to load.
std::string error_of(std::string_view text) {
  auto c = parse(text);
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code != ErrorCode::internal);
  return c.error().message;
}

}  // namespace

TEST_CASE("an unknown key names file, line and the allowed keys") {
  std::string e = error_of("max_running = 4\nmax_runing = 5\n");
  CHECK(contains(e, "/etc/harness/harnessd.toml:2:1"));
  CHECK(contains(e, "max_runing"));
  CHECK(contains(e, "unknown key"));
  CHECK(contains(e, "max_running"));  // listed among the allowed keys

  std::string m = error_of("[models.x]\nprovider = \"openai\"\nmodel = \"m\"\nmodle = \"m\"\n");
  CHECK(contains(m, "harnessd.toml:4:1"));
  CHECK(contains(m, "models.x.modle"));
  CHECK(contains(m, "base_url"));

  std::string s = error_of("[sandboxes.pods]\ndriver = \"kubectl\"\nnamespce = \"agents\"\n");
  CHECK(contains(s, "harnessd.toml:3:1"));
  CHECK(contains(s, "sandboxes.pods.namespce"));

  std::string section = error_of("[modles.x]\nprovider = \"openai\"\n");
  CHECK(contains(section, "harnessd.toml:1"));
  CHECK(contains(section, "modles"));
}

TEST_CASE("a value of the wrong type is an error naming the key and the expected type") {
  std::string e = error_of("\n\nmax_running = \"8\"\n");
  CHECK(contains(e, "harnessd.toml:3:1"));
  CHECK(contains(e, "max_running"));
  CHECK(contains(e, "expected an integer from 1 to 100000"));

  std::string b = error_of("[sandboxes.default]\nnetwork = \"yes\"\n");
  CHECK(contains(b, "sandboxes.default.network"));
  CHECK(contains(b, "true or false"));

  std::string t = error_of("tokens = \"abc\"\n");
  CHECK(contains(t, "expected an array of strings"));

  std::string f = error_of("max_running = 8.5\n");
  CHECK(contains(f, "got a float"));

  std::string tbl = error_of("[models]\ndefault = 3\n");
  CHECK(contains(tbl, "models.default"));
}

TEST_CASE("out-of-bounds and malformed values are errors") {
  CHECK(contains(error_of("max_running = 0\n"), "from 1 to 100000"));
  CHECK(contains(error_of("log_level = \"chatty\"\n"), "one of trace|debug|info|warn|error"));
  CHECK(contains(error_of("listen = \"8080\"\n"), "HOST:PORT"));
  CHECK(contains(error_of("listen = \"localhost:99999\"\n"), "HOST:PORT"));
  CHECK(contains(error_of("store = \"mysql://x\"\n"), "sqlite:PATH"));
  CHECK(contains(error_of("[sandboxes.s]\nenv = [\"NOEQUALS\"]\n"), "NAME=VALUE"));
  CHECK(contains(error_of("[sandboxes.s]\ndriver = \"lxc\"\n"),
                 "one of bwrap|podman|docker|kubectl|host"));
  CHECK(contains(
      error_of("[models.m]\nprovider = \"openai\"\nmodel = \"x\"\nbase_url = \"ftp://h\"\n"),
      "http://"));
  CHECK(contains(error_of("[models.\"a b\"]\nprovider = \"replay\"\nfile = \"f\"\n"),
                 "profile names"));
  CHECK(contains(error_of("tokens = [\"short\"]\n"), "at least 8 characters"));
  CHECK(contains(error_of("tokens = [\"sha256:abc\"]\n"), "64 hex digits"));
}

TEST_CASE("a bad provider lists the providers") {
  std::string e = error_of("[models.g]\nprovider = \"gemini\"\nmodel = \"x\"\n");
  CHECK(contains(e, "harnessd.toml:2:1"));
  CHECK(contains(e, "models.g.provider"));
  CHECK(contains(e, "one of anthropic|openai|replay"));
  CHECK(contains(e, "\"gemini\""));
}

TEST_CASE("required model keys") {
  std::string replay = error_of("\n[models.r]\nprovider = \"replay\"\n");
  CHECK(contains(replay, "harnessd.toml:2"));
  CHECK(contains(replay, "[models.r]"));
  CHECK(contains(replay, "'file'"));

  std::string no_model = error_of("[models.a]\nprovider = \"anthropic\"\n");
  CHECK(contains(no_model, "[models.a]"));
  CHECK(contains(no_model, "'model'"));

  CHECK(contains(error_of("[models.a]\nprovider = \"openai\"\nmodel = \"\"\n"), "'model'"));
  CHECK(contains(error_of("[models.a]\nmodel = \"m\"\n"), "'provider'"));
}

TEST_CASE("durations") {
  auto c = parse(
      "timeout = \"1h30m\"\n[models.m]\nprovider = \"openai\"\nmodel = \"x\"\n"
      "timeout = \"90s\"\nbackoff_base = \"250ms\"\n"
      "[sandboxes.default]\ntool_timeout = \"5m\"\n");
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->default_timeout_ms == 5'400'000);
  CHECK(c->models.at("m").request_timeout_ms == 90'000);
  CHECK(c->models.at("m").backoff_base_ms == 250);
  CHECK(c->sandboxes.at("default").tool_timeout_ms == 300'000);

  CHECK(contains(error_of("timeout = \"soon\"\n"), "like \"90s\""));
  CHECK(contains(error_of("timeout = 3600\n"), "expected a duration string"));
  std::string low = error_of("timeout = \"0s\"\n");
  CHECK(contains(low, "from 1s to 365d"));
  CHECK(contains(error_of("[sandboxes.default]\ntool_timeout = \"2d\"\n"), "from 1s to 1d"));
}

TEST_CASE("relative replay files resolve against the config file's directory") {
  auto c = parse(
      "[models.rel]\nprovider = \"replay\"\nfile = \"replays/a.jsonl\"\n"
      "[models.dot]\nprovider = \"replay\"\nfile = \"./b.jsonl\"\n"
      "[models.abs]\nprovider = \"replay\"\nfile = \"/srv/c.jsonl\"\n");
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->models.at("rel").file == "/etc/harness/replays/a.jsonl");
  CHECK(c->models.at("dot").file == "/etc/harness/b.jsonl");
  CHECK(c->models.at("abs").file == "/srv/c.jsonl");
}

TEST_CASE("malformed TOML names file, line and column") {
  auto c = parse("max_running = 4\nlog_level = \"info\n");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == ErrorCode::bad_request);
  CHECK(contains(c.error().message, "/etc/harness/harnessd.toml:2:"));
}

TEST_CASE("[auth] and [policies.NAME] must be tables") {
  CHECK(contains(error_of("auth = 3\n"), "expected a table"));
  CHECK(contains(error_of("policies = 3\n"), "expected tables [policies.NAME]"));
  CHECK(contains(error_of("[policies]\nx = 1\n"), "expected a table of settings"));
}
