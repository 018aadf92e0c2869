// The HTTP limit keys (docs/api.md "Limits"): defaults, parsing and bounds.
#include <doctest/doctest.h>

#include "lib/config/config.hpp"

using namespace harness;
using namespace harness::config;

namespace {
Result<Config> parse(const std::string& text) {
  Environment env;
  env.uid = 1000;
  env.vars = {{"HOME", "/home/u"}, {"XDG_RUNTIME_DIR", "/run/user/1000"}};
  return parse_config(text, "/etc/harness/harnessd.toml", Overrides{}, env);
}
}  // namespace

TEST_CASE("config: HTTP limits have defaults an attacker cannot stretch, and can be set") {
  auto d = parse("");
  REQUIRE(d.has_value());
  CHECK(d->request_timeout_ms == 30'000);
  CHECK(d->max_buffered_bytes == 64 << 20);
  CHECK(d->max_connections == 1024);
  CHECK(d->max_follower_buffer == 8 << 20);

  auto c = parse(
      "request_timeout = \"5s\"\nmax_buffered_bytes = 1048576\nmax_connections = 10\n"
      "max_follower_buffer = 65536\n");
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  CHECK(c->request_timeout_ms == 5'000);
  CHECK(c->max_buffered_bytes == 1 << 20);
  CHECK(c->max_connections == 10);
  CHECK(c->max_follower_buffer == 65536);
  CHECK(c->origins.at("max_connections") == "/etc/harness/harnessd.toml:3");

  for (const char* bad : {"request_timeout = \"0s\"", "max_connections = 0",
                          "max_follower_buffer = 10", "max_buffered_bytes = 1"}) {
    auto r = parse(bad);
    CHECK_MESSAGE(!r.has_value(), bad);
  }
}
