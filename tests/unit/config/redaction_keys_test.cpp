// [redaction] patterns and [auth] read (docs/security.md).
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

TEST_CASE("[redaction] patterns are read, written back and default to none") {
  auto none = parse("");
  REQUIRE_MESSAGE(none.has_value(), why(none));
  CHECK(none->redaction_patterns.empty());

  auto c = parse("[redaction]\npatterns = [\"ACME-[0-9]{6}\", \"xoxb-[A-Za-z0-9-]+\"]\n");
  REQUIRE_MESSAGE(c.has_value(), why(c));
  CHECK(c->redaction_patterns == std::vector<std::string>{"ACME-[0-9]{6}", "xoxb-[A-Za-z0-9-]+"});
  CHECK(c->origins["redaction.patterns"] == "/etc/harness/harnessd.toml:2");
  std::string toml = to_toml(*c);
  CHECK(contains(toml, "[redaction]"));
  auto again = parse(to_toml(*c, false));
  REQUIRE_MESSAGE(again.has_value(), why(again));
  CHECK(again->redaction_patterns == c->redaction_patterns);
}

TEST_CASE("an invalid [redaction] pattern is a config error naming file and line") {
  auto c = parse("# x\n[redaction]\npatterns = [\"ok\", \"(unclosed\"]\n");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().code == ErrorCode::invalid);
  CHECK(contains(c.error().message, "/etc/harness/harnessd.toml:3"));
  CHECK(contains(c.error().message, "redaction.patterns"));
  CHECK(contains(c.error().message, "(unclosed"));
  auto unknown = parse("[redaction]\nregex = []\n");
  REQUIRE_FALSE(unknown.has_value());
  CHECK(contains(unknown.error().message, "redaction.regex: unknown key"));
}

TEST_CASE("[auth] read lists principals; tokens may carry the read role") {
  auto c = parse(
      "[auth]\nread = [\"group:auditors\", \"user:carol\"]\n"
      "[auth.tokens.audit]\ntoken = \"audit-token-123\"\nroles = [\"read\"]\n");
  REQUIRE_MESSAGE(c.has_value(), why(c));
  CHECK(c->auth.read == std::vector<std::string>{"group:auditors", "user:carol"});
  REQUIRE(c->auth.tokens.size() == 1);
  CHECK(c->auth.tokens[0].roles == std::vector<std::string>{"read"});
  auto bad = parse("[auth]\nread = [\"carol\"]\n");
  REQUIRE_FALSE(bad.has_value());
  CHECK(contains(bad.error().message, "user:NAME or group:NAME"));
}
