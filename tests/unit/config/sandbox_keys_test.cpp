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

TEST_CASE("container and kubectl sandbox keys parse into the profile") {
  auto c = parse(R"(
[sandboxes.box]
driver = "podman"
global_args = ["--runtime", "runc"]
container = "sandbox-0"

[sandboxes.fresh]
driver = "docker"
binary = "/usr/local/bin/docker"
image = "localhost/agent-sandbox:latest"
create_args = ["--ulimit", "nofile=1024:1024"]
network = true
memory_mb = 1024
pids_max = 256
user = "1000:1000"

[sandboxes.pods]
driver = "kubectl"
namespace = "agents"
selector = "app=harness-sandbox"
container = "main"
context = "prod"
kubeconfig = "kube/config"
max_leaves_per_pod = 2
request_timeout = "10s"
)");
  REQUIRE_MESSAGE(c.has_value(), why(c));
  const auto& box = c->sandboxes.at("box");
  CHECK(box.global_args == std::vector<std::string>{"--runtime", "runc"});
  CHECK(box.container == "sandbox-0");
  const auto& fresh = c->sandboxes.at("fresh");
  CHECK(fresh.image == "localhost/agent-sandbox:latest");
  CHECK(fresh.create_args == std::vector<std::string>{"--ulimit", "nofile=1024:1024"});
  CHECK(fresh.user == "1000:1000");
  CHECK(fresh.memory_mb == 1024);
  const auto& pods = c->sandboxes.at("pods");
  CHECK(pods.kube_namespace == "agents");
  CHECK(pods.selector == "app=harness-sandbox");
  CHECK(pods.container == "main");
  CHECK(pods.context == "prod");
  CHECK(pods.kubeconfig == "/etc/harness/kube/config");  // relative to the file
  CHECK(pods.max_leaves_per_pod == 2);
  CHECK(pods.request_timeout_ms == 10'000);
  CHECK(c->origins.at("sandboxes.pods.selector") == "/etc/harness/harnessd.toml:20");

  auto back = parse(to_toml(*c));
  REQUIRE_MESSAGE(back.has_value(), why(back));
  CHECK(back->sandboxes.at("pods").selector == "app=harness-sandbox");
}

TEST_CASE("kubectl defaults: namespace default, 4 leaves per pod, 30s request timeout") {
  auto c = parse("[sandboxes.pods]\ndriver = \"kubectl\"\npod = \"sandbox-0\"\n");
  REQUIRE_MESSAGE(c.has_value(), why(c));
  const auto& pods = c->sandboxes.at("pods");
  CHECK(pods.kube_namespace == "default");
  CHECK(pods.max_leaves_per_pod == 4);
  CHECK(pods.request_timeout_ms == 30'000);
}

TEST_CASE("container/image and pod/selector must be exactly one, errors name file:line") {
  auto both = parse("[sandboxes.b]\ndriver = \"podman\"\ncontainer = \"c\"\nimage = \"i\"\n");
  REQUIRE_FALSE(both.has_value());
  CHECK(contains(both.error().message, "/etc/harness/harnessd.toml:4"));
  CHECK(contains(both.error().message, "not both"));

  auto neither = parse("\n[sandboxes.b]\ndriver = \"docker\"\n");
  REQUIRE_FALSE(neither.has_value());
  CHECK(contains(neither.error().message, "/etc/harness/harnessd.toml:2"));
  CHECK(contains(neither.error().message, "needs 'container' or 'image'"));

  auto pods = parse("[sandboxes.k]\ndriver = \"kubectl\"\npod = \"p\"\nselector = \"a=b\"\n");
  REQUIRE_FALSE(pods.has_value());
  CHECK(contains(pods.error().message, "/etc/harness/harnessd.toml:4"));
  CHECK(contains(pods.error().message, "'pod' or 'selector', not both"));

  auto none = parse("[sandboxes.k]\ndriver = \"kubectl\"\n");
  REQUIRE_FALSE(none.has_value());
  CHECK(contains(none.error().message, "needs 'pod' or 'selector'"));

  auto cap = parse("[sandboxes.k]\ndriver = \"kubectl\"\npod = \"p\"\nmax_leaves_per_pod = 0\n");
  REQUIRE_FALSE(cap.has_value());
  CHECK(contains(cap.error().message, "harnessd.toml:4:1"));

  // bwrap ignores the container keys.
  CHECK(parse("[sandboxes.x]\ndriver = \"bwrap\"\n").has_value());
}
