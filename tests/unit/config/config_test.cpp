#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

#include "lib/config/config.hpp"
#include "lib/config/keys.hpp"
#include "lib/config/sha256.hpp"
#include "lib/config/value.hpp"
#include "tests/unit/config/test_helpers.hpp"

using namespace harness;
using namespace harness::config;
using harness::config::test::contains;

namespace {

Environment user_env() {
  Environment env;
  env.uid = 1000;
  env.vars = {{"HOME", "/home/u"}, {"XDG_RUNTIME_DIR", "/run/user/1000"}};
  return env;
}

Result<Config> parse(std::string_view text, const Overrides& flags = {},
                     const Environment& env = user_env()) {
  return parse_config(text, "/etc/harness/harnessd.toml", flags, env);
}

}  // namespace

TEST_CASE("defaults for a user daemon") {
  auto c = parse("");
  REQUIRE(c.has_value());
  CHECK(c->state_dir == "/home/u/.local/state/harness");
  CHECK(c->socket == "/run/user/1000/harness/harnessd.sock");
  CHECK(c->store == "sqlite:/home/u/.local/state/harness/harness.db");
  CHECK(c->listen == "");
  CHECK(c->log_level == "info");
  CHECK(c->max_running == 8);
  CHECK(c->default_max_turns == 50);
  CHECK(c->default_timeout_ms == 3'600'000);
  CHECK(c->max_body_bytes == 8 << 20);
  CHECK(c->max_input_bytes == 64 << 20);
  CHECK(c->system_prompt == default_system_prompt());
  CHECK_FALSE(c->system_prompt.empty());
  CHECK(c->tokens.empty());
  CHECK(c->models.empty());
  REQUIRE(c->sandboxes.count("default") == 1);
  CHECK(c->sandboxes.at("default").name == "default");
  CHECK(c->sandboxes.at("default").driver == "bwrap");
  CHECK_FALSE(c->sandboxes.at("default").network);
  CHECK(c->origins.at("state_dir") == "default");
  CHECK(c->origins.at("store") == "default");
  CHECK(c->origins.at("sandboxes.default.driver") == "default");
}

TEST_CASE("defaults follow XDG variables and root") {
  Environment env = user_env();
  env.vars["XDG_STATE_HOME"] = "/xdg/state";
  env.vars.erase("XDG_RUNTIME_DIR");
  auto c = parse("", {}, env);
  REQUIRE(c.has_value());
  CHECK(c->state_dir == "/xdg/state/harness");
  CHECK(c->socket == "/tmp/harness-1000/harnessd.sock");

  Environment root;
  root.uid = 0;
  auto r = parse("", {}, root);
  REQUIRE(r.has_value());
  CHECK(r->state_dir == "/var/lib/harness");
  CHECK(r->socket == "/run/harness/harnessd.sock");
  CHECK(r->store == "sqlite:/var/lib/harness/harness.db");
  CHECK(default_config_path(root) == "/etc/harness/harnessd.toml");
  CHECK(default_config_path(user_env()) == "/home/u/.config/harness/harnessd.toml");
}

TEST_CASE("the key table's defaults agree with the structs' initializers") {
  // Code that builds a Config or profile by hand must see the same defaults as the daemon.
  auto c = parse(
      "[models.m]\nprovider = \"replay\"\nfile = \"/r.jsonl\"\n[policies.p]\n[auth]\n"
      "[auth.tokens.t]\ntoken = \"12345678\"\nroles = []\n"
      "[schedules.s]\nevery = \"1m\"\nprompt = \"p\"\n"
      "[notify.n]\nurl = \"https://x/\"\n");
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  Config plain;
  model::ModelProfile plain_model;
  model::SandboxProfile plain_sandbox;
  model::Policy plain_policy;
  TokenGrant plain_token;
  ScheduleConfig plain_schedule;
  NotifierConfig plain_notifier;
  for (const KeySpec& key : all_keys()) {
    if (key.derive || key.name == "system_prompt" || key.name == "file") continue;
    CAPTURE(key.name);
    ConstTarget parsed(&*c, &c->models.at("m"), &c->sandboxes.at("default"));
    parsed.policy = &c->policies.at("p");
    parsed.auth = &c->auth;
    parsed.token = &c->auth.tokens.at(0);
    parsed.schedule = &c->schedules.at("s");
    parsed.notifier = &c->notifiers.at("n");
    ConstTarget fresh(&plain, &plain_model, &plain_sandbox);
    fresh.policy = &plain_policy;
    fresh.auth = &plain.auth;
    fresh.token = &plain_token;
    fresh.schedule = &plain_schedule;
    fresh.notifier = &plain_notifier;
    if (key.scope == Scope::notify && key.name == "url") continue;  // one of url/command needed
    // A schedule's when and what are required (validate_schedule): no default to compare.
    if (key.scope == Scope::schedule && (key.name == "every" || key.name == "prompt")) continue;
    if (key.scope == Scope::model && key.name == "provider") continue;    // required, no default
    if (key.scope == Scope::auth_token && key.name != "roles") continue;  // the secret itself
    CHECK(render_toml(key, load(key, parsed)) == render_toml(key, load(key, fresh)));
  }
}

TEST_CASE("a full example config parses") {
  auto c = parse(R"(
state_dir = "/var/lib/harness"
socket = "/run/harness/harnessd.sock"
listen = "127.0.0.1:7070"
store = "sqlite:/var/lib/harness/harness.db"
log_level = "debug"
max_running = 64
max_turns = 80
timeout = "2h"
max_body_bytes = 1048576
max_input_bytes = 1024
system_prompt = "Be brief."
tokens = ["secret-token-123"]

[models.default]
provider = "anthropic"
model = "claude-sonnet-4-5"
api_key_env = "ANTHROPIC_API_KEY"
max_tokens = 8192
timeout = "2m"
max_attempts = 6

[models.local]
provider = "openai"
base_url = "http://127.0.0.1:11434/v1"
model = "qwen2.5-coder:7b"
api_key_env = ""

[models.demo]
provider = "replay"
file = "/srv/demo.jsonl"

[sandboxes.default]
driver = "bwrap"
network = false
tool_timeout = "30s"
output_cap = 65536
memory_mb = 1024
pids_max = 256
file_size_mb = 100
cpu_seconds = 60
env = ["LANG=C.UTF-8", "PATH=/usr/bin:/bin"]

[sandboxes.net]
driver = "bwrap"
network = true
binary = "/usr/local/bin/bwrap"

[policies.default]
ask = ["bash:git push*"]

[auth]
admin = ["user:root"]
)");
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->listen == "127.0.0.1:7070");
  CHECK(c->log_level == "debug");
  CHECK(c->max_running == 64);
  CHECK(c->default_max_turns == 80);
  CHECK(c->default_timeout_ms == 7'200'000);
  CHECK(c->max_body_bytes == 1'048'576);
  CHECK(c->max_input_bytes == 1024);
  CHECK(c->system_prompt == "Be brief.");
  CHECK(c->tokens == std::vector<std::string>{sha256_hex("secret-token-123")});
  REQUIRE(c->models.size() == 3);
  const auto& def = c->models.at("default");
  CHECK(def.name == "default");
  CHECK(def.provider == "anthropic");
  CHECK(def.base_url == "https://api.anthropic.com");
  CHECK(def.model == "claude-sonnet-4-5");
  CHECK(def.max_tokens == 8192);
  CHECK(def.request_timeout_ms == 120'000);
  CHECK(def.max_attempts == 6);
  const auto& local = c->models.at("local");
  CHECK(local.base_url == "http://127.0.0.1:11434/v1");
  CHECK(local.api_key_env == "");  // explicitly no key, not the OPENAI_API_KEY default
  CHECK(c->models.at("demo").file == "/srv/demo.jsonl");
  const auto& sb = c->sandboxes.at("default");
  CHECK(sb.tool_timeout_ms == 30'000);
  CHECK(sb.output_cap_bytes == 65536);
  CHECK(sb.memory_mb == 1024);
  CHECK(sb.pids_max == 256);
  CHECK(sb.file_size_mb == 100);
  CHECK(sb.cpu_seconds == 60);
  CHECK(sb.env == std::vector<std::string>{"LANG=C.UTF-8", "PATH=/usr/bin:/bin"});
  CHECK(c->sandboxes.at("net").network);
  CHECK(c->sandboxes.at("net").binary == "/usr/local/bin/bwrap");
  CHECK(c->origins.at("models.local") == "/etc/harness/harnessd.toml:23");
  CHECK(c->origins.at("models.local.model") == "/etc/harness/harnessd.toml:26");
}

TEST_CASE("provider defaults for base_url and api_key_env") {
  auto c = parse(
      "[models.a]\nprovider = \"anthropic\"\nmodel = \"m\"\n"
      "[models.o]\nprovider = \"openai\"\nmodel = \"gpt\"\n"
      "[models.r]\nprovider = \"replay\"\nfile = \"/x\"\n");
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->models.at("a").api_key_env == "ANTHROPIC_API_KEY");
  CHECK(c->models.at("o").base_url == "https://api.openai.com/v1");
  CHECK(c->models.at("o").api_key_env == "OPENAI_API_KEY");
  CHECK(c->models.at("r").base_url == "");
  // openai elsewhere without api_key_env: a keyless server (llama.cpp), no key sent.
  auto local = parse(
      "[models.l]\nprovider = \"openai\"\nmodel = \"q\"\nbase_url = \"http://127.0.0.1:8080/v1\"\n"
      "[models.o]\nprovider = \"openai\"\nmodel = \"gpt\"\n"
      "base_url = \"https://api.openai.com/v1/\"\n");
  REQUIRE_MESSAGE(local.has_value(), test::why(local));
  CHECK(local->models.at("l").api_key_env == "");
  CHECK(local->models.at("o").api_key_env == "OPENAI_API_KEY");
  CHECK(c->models.at("r").api_key_env == "");
  CHECK(c->origins.at("models.o.base_url") == "default");
}

TEST_CASE("each layer overrides the one before and records its origin") {
  Environment env = user_env();
  env.vars["HARNESS_LOG_LEVEL"] = "warn";
  env.vars["HARNESS_MAX_RUNNING"] = "32";
  env.vars["HARNESS_LISTEN"] = "";  // empty counts as unset
  Overrides flags;
  flags.log_level = "error";
  flags.state_dir = "/srv/harness";
  auto c = parse("log_level = \"debug\"\nmax_running = 16\nmax_turns = 7\nlisten = \"[::1]:80\"\n",
                 flags, env);
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->log_level == "error");
  CHECK(c->origins.at("log_level") == "flag --log-level");
  CHECK(c->max_running == 32);
  CHECK(c->origins.at("max_running") == "env HARNESS_MAX_RUNNING");
  CHECK(c->default_max_turns == 7);
  CHECK(c->origins.at("max_turns") == "/etc/harness/harnessd.toml:3");
  CHECK(c->listen == "[::1]:80");
  CHECK(c->origins.at("listen") == "/etc/harness/harnessd.toml:4");
  CHECK(c->origins.at("timeout") == "default");
  // The store's default follows the final state_dir, whichever layer set it.
  CHECK(c->state_dir == "/srv/harness");
  CHECK(c->store == "sqlite:/srv/harness/harness.db");
  CHECK(c->origins.at("store") == "default");

  flags.listen = "";  // an explicit empty flag turns TCP off
  auto off = parse("listen = \"127.0.0.1:7070\"\n", flags, env);
  REQUIRE(off.has_value());
  CHECK(off->listen == "");
  CHECK(off->origins.at("listen") == "flag --listen");
}

TEST_CASE("bad environment and flag values name their source") {
  Environment env = user_env();
  env.vars["HARNESS_MAX_RUNNING"] = "lots";
  auto c = parse("", {}, env);
  REQUIRE_FALSE(c.has_value());
  CHECK(contains(c.error().message, "environment HARNESS_MAX_RUNNING"));
  CHECK(contains(c.error().message, "max_running"));
  CHECK(contains(c.error().message, "\"lots\""));

  Overrides flags;
  flags.log_level = "loud";
  auto f = parse("", flags);
  REQUIRE_FALSE(f.has_value());
  CHECK(contains(f.error().message, "flag --log-level"));
  CHECK(contains(f.error().message, "trace|debug|info|warn|error"));

  flags = {};
  flags.store = "postgres://x";
  auto s = parse("", flags);
  REQUIRE_FALSE(s.has_value());
  CHECK(contains(s.error().message, "sqlite:PATH or redis://"));
}

TEST_CASE("node defaults to the host name; lease_ttl to 15s; both from file, env and flag") {
  char host[256] = {};
  REQUIRE(gethostname(host, sizeof host - 1) == 0);
  auto c = parse("");
  REQUIRE(c.has_value());
  CHECK(c->node == host);
  CHECK(c->origins.at("node") == "default");
  CHECK(c->lease_ttl_ms == 15'000);

  auto f = parse("node = \"web-1\"\nlease_ttl = \"2s\"\n");
  REQUIRE_MESSAGE(f.has_value(), test::why(f));
  CHECK(f->node == "web-1");
  CHECK(f->lease_ttl_ms == 2000);

  Environment env = user_env();
  env.vars["HARNESS_NODE"] = "pod-abc-123";
  CHECK(parse("node = \"web-1\"\n", {}, env)->node == "pod-abc-123");
  Overrides flags;
  flags.node = "cli.node_2";
  auto fl = parse("node = \"web-1\"\n", flags, env);
  REQUIRE(fl.has_value());
  CHECK(fl->node == "cli.node_2");
  CHECK(fl->origins.at("node") == "flag --node");

  auto bad = parse("node = \"a b\"\n");
  REQUIRE_FALSE(bad.has_value());
  CHECK(contains(bad.error().message, "node"));
  CHECK(contains(bad.error().message, "letters, digits"));
  CHECK_FALSE(parse("lease_ttl = \"100ms\"\n").has_value());  // below 500ms
}
