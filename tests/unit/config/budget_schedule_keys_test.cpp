// Budget keys (top level and model prices, decimals) and [schedules.NAME] (issue 10).
#include <doctest/doctest.h>

#include <string>

#include "lib/config/config.hpp"
#include "tests/unit/config/test_helpers.hpp"

using namespace harness;
using namespace harness::config;
using harness::config::test::contains;
using harness::config::test::parse;
using harness::config::test::why;

namespace {}  // namespace

TEST_CASE("budgets: defaults are none; floats and integers both give prices") {
  auto none = parse("");
  REQUIRE_MESSAGE(none, why(none));
  CHECK(none->default_token_budget == 0);
  CHECK(none->default_budget_usd == 0);
  CHECK(none->default_inactivity_ms == 0);

  auto c = parse(R"(
token_budget = 100000
budget_usd = 2.5
inactivity = "10m"

[models.default]
provider = "anthropic"
model = "m"
price_input_per_mtok = 3
price_output_per_mtok = 15.0
price_cache_read_per_mtok = 0.3
price_cache_write_per_mtok = 3.75
)");
  REQUIRE_MESSAGE(c, why(c));
  CHECK(c->default_token_budget == 100000);
  CHECK(c->default_budget_usd == 2.5);
  CHECK(c->default_inactivity_ms == 600'000);
  const auto& m = c->models.at("default");
  CHECK(m.price_input_per_mtok == 3.0);
  CHECK(m.price_output_per_mtok == 15.0);
  CHECK(m.price_cache_read_per_mtok == 0.3);
  CHECK(m.price_cache_write_per_mtok == 3.75);

  // to_toml writes the decimals back so that they parse to the same values.
  auto again = parse(to_toml(*c));
  REQUIRE_MESSAGE(again, why(again));
  CHECK(again->models.at("default").price_cache_read_per_mtok == 0.3);
  CHECK(again->default_budget_usd == 2.5);
}

TEST_CASE("budgets: bad values name the key and the bounds") {
  auto neg = parse("budget_usd = -1.0\n");
  REQUIRE_FALSE(neg);
  CHECK_MESSAGE(contains(neg.error().message, "budget_usd"), neg.error().message);
  auto text = parse("[models.m]\nmodel = \"x\"\nprice_input_per_mtok = \"cheap\"\n");
  REQUIRE_FALSE(text);
  CHECK_MESSAGE(contains(text.error().message, "price_input_per_mtok"), text.error().message);
  auto nan = parse("budget_usd = nan\n");
  REQUIRE_FALSE(nan);
}

TEST_CASE("[schedules.NAME] parses into ScheduleConfig") {
  auto c = parse(R"(
[schedules.nightly]
cron = "30 2 * * *"
timezone = "Europe/Berlin"
overlap = "queue"
catch_up = "once"
jitter = "10s"
prompt = "run the nightly checks"
model = "default"
max_turns = 5
budget_usd = 0.25
labels = ["team=infra"]

[schedules.ping]
every = "30s"
prompt = "ping"
)");
  REQUIRE_MESSAGE(c, why(c));
  const auto& n = c->schedules.at("nightly");
  CHECK(n.cron == "30 2 * * *");
  CHECK(n.timezone == "Europe/Berlin");
  CHECK(n.overlap == "queue");
  CHECK(n.catch_up == "once");
  CHECK(n.jitter_ms == 10'000);
  CHECK(n.max_turns == 5);
  CHECK(n.budget_usd == 0.25);
  CHECK(n.labels == std::vector<std::string>{"team=infra"});
  const auto& p = c->schedules.at("ping");
  CHECK(p.every_ms == 30'000);
  CHECK(p.overlap == "skip");
  CHECK(p.catch_up == "none");
  auto again = parse(to_toml(*c));
  REQUIRE_MESSAGE(again, why(again));
  CHECK(again->schedules.at("nightly").cron == "30 2 * * *");
}

TEST_CASE("[schedules.NAME] needs exactly one of cron/every and of prompt/prompt_file") {
  auto both = parse("[schedules.x]\ncron = \"* * * * *\"\nevery = \"1m\"\nprompt = \"p\"\n");
  REQUIRE_FALSE(both);
  CHECK_MESSAGE(contains(both.error().message, "exactly one of 'cron' and 'every'"),
                both.error().message);
  auto neither = parse("[schedules.x]\nprompt = \"p\"\n");
  REQUIRE_FALSE(neither);
  auto no_prompt = parse("[schedules.x]\nevery = \"1m\"\n");
  REQUIRE_FALSE(no_prompt);
  CHECK_MESSAGE(contains(no_prompt.error().message, "prompt"), no_prompt.error().message);
  auto fast = parse("[schedules.x]\nevery = \"500ms\"\nprompt = \"p\"\n");
  REQUIRE_FALSE(fast);
  auto unknown = parse("[schedules.x]\nevery = \"1m\"\nprompt = \"p\"\ncolour = \"red\"\n");
  REQUIRE_FALSE(unknown);
  CHECK_MESSAGE(contains(unknown.error().message, "schedules.NAME"), unknown.error().message);
}
