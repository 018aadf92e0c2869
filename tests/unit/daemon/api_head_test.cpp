// The API's head check (routing and authentication before a body is read) and bearer tokens.
#include <doctest/doctest.h>

#include "lib/config/sha256.hpp"
#include "lib/daemon/api.hpp"
#include "lib/daemon/auth.hpp"

using namespace harness;
using namespace harness::daemon;

namespace {
config::Config config_with_token(const std::string& token) {
  config::Config cfg;
  cfg.auth.configured = true;
  cfg.auth.tokens.push_back(config::TokenGrant{"ci", config::sha256_hex(token), {"submit"}});
  return cfg;
}

http::Request head(std::string method, std::string path, std::string transport,
                   std::string authorization = "") {
  http::Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.transport = std::move(transport);
  r.remote = transport == "tcp" ? "127.0.0.1:5000" : "unix";
  if (!authorization.empty()) r.headers.emplace_back("authorization", authorization);
  return r;
}
}  // namespace

TEST_CASE("auth: the Bearer scheme matches in any case, with extra spaces around the token") {
  auto cfg = config_with_token("s3cret-token");
  const auto& grants = cfg.auth.tokens;
  CHECK(find_token("Bearer s3cret-token", grants) == &grants[0]);
  CHECK(find_token("bearer s3cret-token", grants) == &grants[0]);
  CHECK(find_token("BEARER  s3cret-token ", grants) == &grants[0]);
  CHECK(find_token("bEaReR\ts3cret-token", grants) == &grants[0]);
  CHECK(find_token("Bearer S3CRET-TOKEN", grants) == nullptr);  // the token itself is exact
  CHECK(find_token("Bearers3cret-token", grants) == nullptr);
  CHECK(find_token("Basic s3cret-token", grants) == nullptr);
  CHECK(find_token("Bearer ", grants) == nullptr);
  CHECK(find_token("", grants) == nullptr);
}

TEST_CASE("api head check: 404, 405 with Allow, 401 on TCP, before any body") {
  auto cfg = config_with_token("s3cret-token");
  Api api(Services{nullptr, std::make_shared<const config::Config>(cfg), nullptr, nullptr, nullptr,
                   nullptr, nullptr});

  auto unknown = api.check_head(head("POST", "/v1/nothing", "tcp"));
  REQUIRE(unknown);
  CHECK(unknown->status == 404);

  auto wrong = api.check_head(head("DELETE", "/v1/leaves", "unix"));
  REQUIRE(wrong);
  CHECK(wrong->status == 405);
  CHECK(wrong->headers == http::HeaderList{{"Allow", "POST, GET"}});
  CHECK(wrong->error.message.find("DELETE") != std::string::npos);
  auto wrong_leaf = api.check_head(head("POST", "/v1/leaves/lf_1", "tcp"));
  REQUIRE(wrong_leaf);
  CHECK(wrong_leaf->status == 405);
  CHECK(wrong_leaf->headers == http::HeaderList{{"Allow", "GET"}});

  auto anonymous = api.check_head(head("POST", "/v1/leaves", "tcp"));
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  CHECK(anonymous->error.code == ErrorCode::unauthorized);
  auto bad = api.check_head(head("POST", "/v1/leaves", "tcp", "Bearer wrong-token"));
  REQUIRE(bad);
  CHECK(bad->status == 401);

  CHECK_FALSE(api.check_head(head("POST", "/v1/leaves", "tcp", "bearer s3cret-token")));
  CHECK_FALSE(api.check_head(head("GET", "/readyz", "tcp")));  // open routes need no token

  // A valid token without the role: 403, also before the body.
  auto no_role =
      api.check_head(head("POST", "/v1/leaves/lf_1/approve", "tcp", "Bearer s3cret-token"));
  REQUIRE(no_role);
  CHECK(no_role->status == 403);
}
