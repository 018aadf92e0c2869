// [notify.NAME] and [policies.NAME] notify (issue 10 item 5).
#include <doctest/doctest.h>

#include <string>

#include "lib/config/config.hpp"
#include "tests/unit/config/test_helpers.hpp"

using namespace harness;
using namespace harness::config;
using harness::config::test::contains;
using harness::config::test::why;

namespace {

Result<Config> parse(std::string_view text) {
  return test::parse(text, {{"HOOK_SECRET", "s3cret"}});
}

}  // namespace

TEST_CASE("notify: a notifier with its defaults, named by a policy") {
  auto c = parse(R"(
[notify.ops]
url = "https://hooks.example.com/harness"
secret_env = "HOOK_SECRET"

[notify.pager]
command = ["/usr/local/bin/notify-approvers", "--team", "ops"]
timeout = "2s"
attempts = 5
retry_backoff = "250ms"

[policies.default]
ask = ["bash"]
notify = ["ops", "pager"]
)");
  REQUIRE_MESSAGE(c, why(c));
  const auto& ops = c->notifiers.at("ops");
  CHECK(ops.name == "ops");
  CHECK(ops.url == "https://hooks.example.com/harness");
  CHECK(ops.command.empty());
  CHECK(ops.secret == "s3cret");
  CHECK(ops.timeout_ms == 10'000);
  CHECK(ops.attempts == 3);
  CHECK(ops.retry_backoff_ms == 1000);
  const auto& pager = c->notifiers.at("pager");
  CHECK(pager.command ==
        std::vector<std::string>{"/usr/local/bin/notify-approvers", "--team", "ops"});
  CHECK(pager.secret.empty());
  CHECK(pager.timeout_ms == 2000);
  CHECK(pager.attempts == 5);
  CHECK(pager.retry_backoff_ms == 250);
  CHECK(c->policies.at("default").notify == std::vector<std::string>{"ops", "pager"});
  // The secret's name is printed, never its value; the printed config parses back the same.
  std::string toml = to_toml(*c);
  CHECK(contains(toml, "[notify.ops]"));
  CHECK(contains(toml, "HOOK_SECRET"));
  CHECK_FALSE(contains(toml, "s3cret"));
  auto again = parse(to_toml(*c, false));
  REQUIRE_MESSAGE(again, why(again));
  CHECK(to_toml(*again, false) == to_toml(*c, false));
}

TEST_CASE("notify: a policy naming an unknown notifier is an error naming it") {
  auto c = parse(R"(
[notify.ops]
url = "http://127.0.0.1:9/"

[policies.default]
ask = ["bash"]
notify = ["ops", "opps"]
)");
  REQUIRE_FALSE(c);
  CHECK(c.error().code == ErrorCode::invalid);
  CHECK_MESSAGE(contains(c.error().message, "unknown notifier 'opps'"), c.error().message);
  CHECK_MESSAGE(contains(c.error().message, "harnessd.toml:7"), c.error().message);
  CHECK_MESSAGE(contains(c.error().message, "policies.default.notify"), c.error().message);
  CHECK_MESSAGE(contains(c.error().message, "configured: ops"), c.error().message);

  auto none = parse("[policies.p]\nnotify = [\"ops\"]\n");
  REQUIRE_FALSE(none);
  CHECK_MESSAGE(contains(none.error().message, "unknown notifier 'ops'"), none.error().message);
}

TEST_CASE("notify: url must be http(s); a notifier needs somewhere to send") {
  auto ftp = parse("[notify.a]\nurl = \"ftp://example.com/x\"\n");
  REQUIRE_FALSE(ftp);
  CHECK_MESSAGE(contains(ftp.error().message, "notify.a.url"), ftp.error().message);
  CHECK_MESSAGE(contains(ftp.error().message, "http:// or https://"), ftp.error().message);

  auto bare = parse("[notify.a]\nurl = \"hooks.example.com\"\n");
  REQUIRE_FALSE(bare);
  CHECK_MESSAGE(contains(bare.error().message, "http:// or https://"), bare.error().message);

  auto empty = parse("[notify.a]\ntimeout = \"5s\"\n");
  REQUIRE_FALSE(empty);
  CHECK_MESSAGE(contains(empty.error().message, "needs 'url', 'command' or both"),
                empty.error().message);

  auto unknown = parse("[notify.a]\nurl = \"https://x/\"\nsecret = \"inline\"\n");
  REQUIRE_FALSE(unknown);
  CHECK_MESSAGE(contains(unknown.error().message, "unknown key"), unknown.error().message);
  CHECK_MESSAGE(contains(unknown.error().message, "secret_env"), unknown.error().message);

  auto zero = parse("[notify.a]\nurl = \"https://x/\"\nattempts = 0\n");
  REQUIRE_FALSE(zero);
  CHECK_MESSAGE(contains(zero.error().message, "notify.a.attempts"), zero.error().message);
}

TEST_CASE("notify: a secret_env that is unset is an error at load, not an unsigned POST later") {
  auto c = parse("[notify.a]\nurl = \"https://x/\"\nsecret_env = \"NOT_SET_ANYWHERE\"\n");
  REQUIRE_FALSE(c);
  CHECK_MESSAGE(contains(c.error().message, "NOT_SET_ANYWHERE is unset or empty"),
                c.error().message);
  CHECK_MESSAGE(contains(c.error().message, "harnessd.toml:3"), c.error().message);
}
