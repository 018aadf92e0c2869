#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/config/sha256.hpp"
#include "tests/unit/config/test_helpers.hpp"

using namespace harness;
using namespace harness::config;
using harness::config::test::contains;
using harness::config::test::parse;

namespace {

using Strings = std::vector<std::string>;

std::string error_of(std::string_view text) {
  auto c = parse(text);
  REQUIRE_FALSE_MESSAGE(c.has_value(), text);
  CHECK(c.error().code == ErrorCode::invalid);
  return c.error().message;
}

Strings texts(const std::vector<model::Rule>& rules) {
  Strings out;
  for (const auto& r : rules) out.push_back(r.text);
  return out;
}

// The issue's example configuration, plus tokens.
constexpr std::string_view k_example = R"(tokens = ["legacy-token-1"]

[auth]
socket_group = "harness"
submit  = ["group:harness"]
approve = ["group:harness-approvers"]
admin   = ["user:root"]

[auth.tokens.ci]
token = "ci-secret-token"
roles = ["submit"]

[auth.tokens.release-bot]
sha256 = "11A2FF949CAE8B5005F1B94E51264CC3E659B747AD55C70556C46ADDA6CFA14E"
roles = ["approve", "submit"]

[policies.default]
allow = ["read_file:*"]
ask   = ["bash:git push*"]
deny  = []
approvers = ["group:release"]
four_eyes = true
gate_timeout = "24h"

[policies.locked]
default = "deny"
allow = ["read_file", "list_files", "grep"]
deny = ["*:.git/*", "bash:rm *"]
)";

}  // namespace

TEST_CASE("[policies.NAME] loads rules, approvers, four_eyes, gate_timeout and default") {
  auto c = parse(k_example);
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  REQUIRE(c->policies.size() == 2);
  const model::Policy& def = c->policies.at("default");
  CHECK(def.name == "default");
  CHECK(texts(def.allow) == Strings{"read_file:*"});
  CHECK(texts(def.ask) == Strings{"bash:git push*"});
  CHECK(def.ask.at(0).glob == "git push*");
  CHECK(def.deny.empty());
  CHECK(def.approvers == Strings{"group:release"});
  CHECK(def.four_eyes);
  CHECK(def.gate_timeout_ms == 86'400'000);
  CHECK(def.fallback == model::Verdict::allow);
  CHECK(c->origins.at("policies.default.ask") == "/etc/harness/harnessd.toml:19");

  const model::Policy& locked = c->policies.at("locked");
  CHECK(locked.fallback == model::Verdict::deny);
  CHECK(texts(locked.deny) == Strings{"*:.git/*", "bash:rm *"});
  CHECK_FALSE(locked.four_eyes);
  CHECK(locked.gate_timeout_ms == 0);
  CHECK(locked.approvers.empty());
  // The loaded policy decides calls.
  model::ToolCall push{"c", "bash", {{"command", "git push origin main"}}};
  CHECK(model::decide(def, push).verdict == model::Verdict::ask);
  CHECK(model::decide(locked, push).verdict == model::Verdict::deny);
}

TEST_CASE("no [policies] and no [auth]: nothing configured") {
  auto c = parse("max_running = 2\n");
  REQUIRE(c.has_value());
  CHECK(c->policies.empty());
  CHECK_FALSE(c->auth.configured);
  CHECK(c->auth.tokens.empty());
  auto empty = parse("[policies.open]\n");
  REQUIRE(empty.has_value());
  const model::Policy& open = empty->policies.at("open");
  CHECK(open.allow.empty());
  CHECK(open.fallback == model::Verdict::allow);
}

TEST_CASE("[auth] loads roles, the socket group and named tokens (hashed)") {
  auto c = parse(k_example);
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  const AuthConfig& auth = c->auth;
  CHECK(auth.configured);
  CHECK(auth.socket_group == "harness");
  CHECK(auth.submit == Strings{"group:harness"});
  CHECK(auth.approve == Strings{"group:harness-approvers"});
  CHECK(auth.admin == Strings{"user:root"});
  REQUIRE(auth.tokens.size() == 3);
  CHECK(auth.tokens[0].name == "ci");
  CHECK(auth.tokens[0].sha256_hex == sha256_hex("ci-secret-token"));
  CHECK(auth.tokens[0].roles == Strings{"submit"});
  CHECK(auth.tokens[1].name == "release-bot");
  CHECK(auth.tokens[1].sha256_hex ==
        "11a2ff949cae8b5005f1b94e51264cc3e659b747ad55c70556c46adda6cfa14e");
  CHECK(auth.tokens[1].roles == Strings{"approve", "submit"});
  // The top-level tokens keep working: every role, named by position.
  CHECK(auth.tokens[2].name == "token-1");
  CHECK(auth.tokens[2].sha256_hex == sha256_hex("legacy-token-1"));
  CHECK(auth.tokens[2].roles == Strings{"submit", "approve", "admin"});
  CHECK(c->tokens == Strings{sha256_hex("legacy-token-1")});
}

TEST_CASE("[auth] defaults; top-level tokens alone do not configure auth") {
  auto c = parse("tokens = [\"abcdefgh12\", \"ijklmnop34\"]\n[auth]\n");
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->auth.configured);
  CHECK(c->auth.socket_group == "");
  CHECK(c->auth.submit.empty());
  REQUIRE(c->auth.tokens.size() == 2);
  CHECK(c->auth.tokens[1].name == "token-2");

  auto only_tokens = parse("tokens = [\"abcdefgh12\"]\n");
  REQUIRE(only_tokens.has_value());
  CHECK_FALSE(only_tokens->auth.configured);
  CHECK(only_tokens->auth.tokens.size() == 1);
}

TEST_CASE("a bad rule names file, line, key and the rule") {
  std::string e =
      error_of("[policies.default]\nallow = [\"read_file\"]\nask = [\"bsh:git push*\"]\n");
  CHECK(contains(e, "/etc/harness/harnessd.toml:3:"));
  CHECK(contains(e, "policies.default.ask"));
  CHECK(contains(e, "\"bsh:git push*\""));
  CHECK(contains(e, "TOOL:GLOB"));
  CHECK(contains(error_of("[policies.p]\ndeny = [\"\"]\n"), "policies.p.deny"));
  CHECK(contains(error_of("[policies.p]\nallow = \"bash\"\n"), "expected an array of strings"));
}

TEST_CASE("bad policy values are errors naming the key") {
  CHECK(contains(error_of("[policies.p]\napprovers = [\"release\"]\n"), "user:NAME or group:NAME"));
  CHECK(contains(error_of("[policies.p]\napprovers = [\"release\"]\n"), "policies.p.approvers"));
  CHECK(contains(error_of("[policies.p]\nfour_eyes = \"yes\"\n"), "true or false"));
  CHECK(contains(error_of("[policies.p]\ngate_timeout = \"soon\"\n"), "policies.p.gate_timeout"));
  CHECK(contains(error_of("[policies.p]\ndefault = \"maybe\"\n"), "one of allow|ask|deny"));
  std::string unknown = error_of("[policies.p]\nallowed = [\"bash\"]\n");
  CHECK(contains(unknown, "harnessd.toml:2:1"));
  CHECK(contains(unknown, "policies.p.allowed: unknown key"));
  CHECK(contains(unknown, "four_eyes"));
  CHECK(contains(error_of("[policies.\"a b\"]\n"), "names may use"));
}

TEST_CASE("bad [auth] values and unknown keys are errors") {
  std::string unknown = error_of("[auth]\nadmins = [\"user:root\"]\n");
  CHECK(contains(unknown, "harnessd.toml:2:1"));
  CHECK(contains(unknown, "auth.admins: unknown key"));
  CHECK(contains(unknown, "socket_group"));
  CHECK(contains(error_of("[auth]\nsubmit = [\"root\"]\n"), "auth.submit"));
  CHECK(contains(error_of("[auth]\napprove = [\"team:x\"]\n"), "user:NAME or group:NAME"));
  CHECK(contains(error_of("[auth]\nsocket_group = \"a b\"\n"), "auth.socket_group"));
  CHECK(contains(error_of("[auth]\ntokens = [\"x\"]\n"), "expected tables [auth.tokens.NAME]"));
  CHECK(contains(error_of("[auth.extra]\nx = 1\n"), "auth.extra: unknown key"));
}

TEST_CASE("[auth] workdir_roots and a token's run_as account") {
  auto c = parse(
      "[auth]\nworkdir_roots = [\"/home\", \"/srv/ci\"]\n"
      "[auth.tokens.ci]\ntoken = \"ci-secret-token\"\nroles = [\"submit\"]\nrun_as = \"ci-bot\"\n"
      "[auth.tokens.bare]\ntoken = \"bare-secret-token\"\nroles = [\"submit\"]\n");
  REQUIRE_MESSAGE(c.has_value(), test::why(c));
  CHECK(c->auth.workdir_roots == Strings{"/home", "/srv/ci"});
  auto run_as_of = [](const Config& cfg, const std::string& name) {
    for (const auto& t : cfg.auth.tokens)
      if (t.name == name) return t.run_as;
    return std::string("?");
  };
  CHECK(run_as_of(*c, "ci") == "ci-bot");
  CHECK(run_as_of(*c, "bare") == "");
  CHECK(parse("[auth]\n")->auth.workdir_roots.empty());
  CHECK(contains(error_of("[auth]\nworkdir_roots = [\"home\"]\n"), "auth.workdir_roots"));
  CHECK(contains(error_of("[auth]\nworkdir_roots = [\"/srv/../etc\"]\n"), "without '..'"));
  CHECK(contains(error_of("[auth.tokens.ci]\ntoken = \"ci-secret-token\"\nroles = [\"submit\"]\n"
                          "run_as = \"a b\"\n"),
                 "auth.tokens.ci.run_as"));
  auto again = parse(to_toml(*c));
  REQUIRE_MESSAGE(again.has_value(), test::why(again));
  CHECK(again->auth.workdir_roots == c->auth.workdir_roots);
  CHECK(run_as_of(*again, "ci") == "ci-bot");
}

TEST_CASE("bad [auth.tokens.NAME] sections are errors") {
  auto tok = [](std::string body) { return "[auth.tokens.ci]\n" + body; };
  CHECK(contains(error_of(tok("token = \"short\"\nroles = [\"submit\"]\n")), "at least 8"));
  CHECK(contains(error_of(tok("sha256 = \"abc\"\nroles = [\"submit\"]\n")), "64 hex digits"));
  CHECK(contains(error_of(tok("token = \"long-enough\"\nroles = [\"root\"]\n")),
                 "submit, approve, admin, read or metrics"));
  CHECK(contains(error_of(tok("token = \"long-enough\"\n")), "needs 'roles'"));
  CHECK(contains(error_of(tok("roles = [\"submit\"]\n")), "exactly one of 'token' or 'sha256'"));
  std::string both =
      tok("token = \"long-enough\"\nsha256 = \"" + sha256_hex("x") + "\"\nroles = [\"submit\"]\n");
  CHECK(contains(error_of(both), "exactly one"));
  CHECK(contains(error_of(tok("token = \"long-enough\"\nroles = []\nscope = 1\n")),
                 "auth.tokens.ci.scope: unknown key"));
  CHECK(contains(error_of("[auth.tokens.token-1]\ntoken = \"long-enough\"\nroles = []\n"),
                 "reserved"));
  std::string twice =
      "[auth.tokens.a]\ntoken = \"same-token\"\nroles = [\"submit\"]\n"
      "[auth.tokens.b]\nsha256 = \"" +
      sha256_hex("same-token") + "\"\nroles = [\"admin\"]\n";
  CHECK(contains(error_of(twice), "the same token as [auth.tokens.a]"));
}

TEST_CASE("policies and auth round-trip through to_toml, tokens hashed") {
  auto first = parse(k_example);
  REQUIRE_MESSAGE(first.has_value(), test::why(first));
  std::string text = to_toml(*first);
  CHECK_FALSE(contains(text, "ci-secret-token"));
  CHECK_FALSE(contains(text, "legacy-token-1"));
  CHECK(contains(text, "[auth.tokens.ci]  # /etc/harness/harnessd.toml:9\n"));
  CHECK(contains(text, "sha256 = \"" + sha256_hex("ci-secret-token") + "\""));
  CHECK_FALSE(contains(text, "[auth.tokens.token-1]"));
  CHECK(contains(text, "ask = [\"bash:git push*\"]  # /etc/harness/harnessd.toml:19"));

  auto second = parse_config(text, "/tmp/printed.toml", {}, Environment{});
  REQUIRE_MESSAGE(second.has_value(), (test::why(second) + "\n" + text));
  CHECK(to_toml(*second, false) == to_toml(*first, false));
  CHECK(model::to_json(second->policies.at("default")) ==
        model::to_json(first->policies.at("default")));
  CHECK(model::to_json(second->policies.at("locked")) ==
        model::to_json(first->policies.at("locked")));
  REQUIRE(second->auth.tokens.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(second->auth.tokens[i].name == first->auth.tokens[i].name);
    CHECK(second->auth.tokens[i].sha256_hex == first->auth.tokens[i].sha256_hex);
    CHECK(second->auth.tokens[i].roles == first->auth.tokens[i].roles);
  }
  CHECK(second->auth.admin == Strings{"user:root"});
  CHECK(second->auth.socket_group == "harness");

  auto none = parse("");
  REQUIRE(none.has_value());
  CHECK_FALSE(contains(to_toml(*none), "[auth]"));
  CHECK_FALSE(contains(to_toml(*none), "[policies."));
}
