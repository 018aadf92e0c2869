#include <doctest/doctest.h>

#include <string>

#include "lib/config/config.hpp"
#include "lib/config/sha256.hpp"
#include "tests/unit/config/test_helpers.hpp"

using namespace harness;
using namespace harness::config;
using harness::config::test::contains;

namespace {

Environment user_env() {
  Environment env;
  env.uid = 1000;
  env.vars = {{"HOME", "/home/u"}, {"HARNESS_MAX_RUNNING", "12"}};
  return env;
}

constexpr std::string_view k_example = R"(
listen = "127.0.0.1:7070"
timeout = "90m"
system_prompt = "Line one.\nSay \"hi\"\tand \\ leave."
tokens = ["secret-token-123", "sha256:11A2FF949CAE8B5005F1B94E51264CC3E659B747AD55C70556C46ADDA6CFA14E"]

[models.default]
provider = "anthropic"
model = "claude-sonnet-4-5"
backoff_base = "1500ms"

[models.demo]
provider = "replay"
file = "demo.jsonl"

[sandboxes.net]
network = true
env = ["A=1", "B=x y"]
)";

}  // namespace

TEST_CASE("to_toml round-trips through parse_config") {
  Overrides flags;
  flags.log_level = "debug";
  auto first = parse_config(k_example, "/etc/harness/harnessd.toml", flags, user_env());
  REQUIRE_MESSAGE(first.has_value(), test::why(first));
  std::string text = to_toml(*first);

  auto second = parse_config(text, "/tmp/printed.toml", {}, Environment{});
  REQUIRE_MESSAGE(second.has_value(), (test::why(second) + "\n" + text));
  CHECK(to_toml(*second, false) == to_toml(*first, false));
  CHECK(second->system_prompt == "Line one.\nSay \"hi\"\tand \\ leave.");
  CHECK(second->default_timeout_ms == 5'400'000);
  CHECK(second->max_running == 12);
  CHECK(second->log_level == "debug");
  CHECK(second->models.at("default").backoff_base_ms == 1500);
  CHECK(second->models.at("demo").file == "/etc/harness/demo.jsonl");
  CHECK(second->sandboxes.at("net").env == std::vector<std::string>{"A=1", "B=x y"});
  CHECK(second->tokens == first->tokens);
  CHECK(second->sandboxes.size() == 2);  // the built-in default was printed and read back
}

TEST_CASE("to_toml shows docs and origins, and never a plain token") {
  Overrides flags;
  flags.log_level = "debug";
  auto c = parse_config(k_example, "/etc/harness/harnessd.toml", flags, user_env());
  REQUIRE(c.has_value());
  std::string text = to_toml(*c);
  CHECK(contains(text, "log_level = \"debug\"  # flag --log-level\n"));
  CHECK(contains(text, "max_running = 12  # env HARNESS_MAX_RUNNING\n"));
  CHECK(contains(text, "listen = \"127.0.0.1:7070\"  # /etc/harness/harnessd.toml:2\n"));
  CHECK(contains(text, "timeout = \"90m\"  # /etc/harness/harnessd.toml:3\n"));
  CHECK(contains(text, "store = \"sqlite:/home/u/.local/state/harness/harness.db\"  # default\n"));
  CHECK(contains(text, "[models.demo]  # /etc/harness/harnessd.toml:12\n"));
  CHECK(contains(text, "# Leaves running at once"));
  CHECK(contains(text, "\"sha256:" + sha256_hex("secret-token-123") + "\""));
  CHECK(contains(text,
                 "\"sha256:11a2ff949cae8b5005f1b94e51264cc3e659b747ad55c70556c46adda6cfa14e\""));
  CHECK_FALSE(contains(text, "secret-token-123"));
  CHECK_FALSE(contains(to_toml(*c, false), "#"));
}
