#include "lib/daemon/reload.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace harness::daemon {
namespace {

config::Config running() {
  config::Config c;
  c.state_dir = "/var/lib/harness";
  c.store = "sqlite:/var/lib/harness/harness.db";
  c.socket = "/run/harness/harnessd.sock";
  c.max_running = 4;
  return c;
}

TEST_CASE("reload: models, policies, auth and max_running are taken as loaded") {
  config::Config loaded = running();
  model::ModelProfile m;
  m.name = "fast";
  loaded.models["fast"] = m;
  loaded.max_running = 16;
  loaded.auth.admin = {"user:alice"};
  loaded.log_level = "debug";
  ReloadPlan plan = plan_reload(running(), loaded);
  CHECK(plan.need_restart.empty());
  REQUIRE(plan.next);
  CHECK(plan.next->models.count("fast") == 1);
  CHECK(plan.next->max_running == 16);
  CHECK(plan.next->auth.admin == std::vector<std::string>{"user:alice"});
  CHECK(plan.next->log_level == "debug");
}

TEST_CASE("reload: the store, socket and state dir keep their running values and are named") {
  config::Config loaded = running();
  loaded.store = "sqlite:/tmp/other.db";
  loaded.socket = "/tmp/other.sock";
  loaded.state_dir = "/tmp/other";
  loaded.listen = "127.0.0.1:7070";
  loaded.max_connections = 10;
  loaded.max_running = 2;  // applied alongside
  ReloadPlan plan = plan_reload(running(), loaded);
  CHECK(plan.need_restart ==
        std::vector<std::string>{"state_dir", "store", "socket", "listen", "max_connections"});
  CHECK(plan.next->store == "sqlite:/var/lib/harness/harness.db");
  CHECK(plan.next->socket == "/run/harness/harnessd.sock");
  CHECK(plan.next->state_dir == "/var/lib/harness");
  CHECK(plan.next->listen.empty());
  CHECK(plan.next->max_connections == running().max_connections);
  CHECK(plan.next->max_running == 2);
}

}  // namespace
}  // namespace harness::daemon
