// The Notifier on a real loop and store: outcomes become events, a URL never shows in them,
// and closing with deliveries in flight writes nothing and lets the loop close.
#include "lib/agent/notifier.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "lib/base/ids.hpp"
#include "lib/loop/timer.hpp"
#include "tests/unit/store/store_fixture.hpp"

using namespace harness;
using namespace harness::store::test;

namespace {

// A leaf of policy `policy` parked at gate 1 (a bash call), as its row is after the append.
model::Leaf parked(StoreFixture& f) {
  model::Leaf leaf = f.leaf("p");
  model::Json gate{{"gate", 1}, {"tool", "bash"}, {"kind", "policy"}, {"command", "git push"}};
  auto r = f.append(leaf.id, {{"leaf_started", {}}, {"gate_opened", gate}});
  REQUIRE(r.has_value());
  model::Leaf row = r->leaf;
  row.spec.policy = model::Json{{"name", "prod"}};
  return row;
}

config::ConfigPtr config_with(const config::NotifierConfig& n) {
  config::Config c;
  c.notifiers[n.name] = n;
  c.policies["prod"].name = "prod";
  c.policies["prod"].notify = {n.name};
  return std::make_shared<const config::Config>(std::move(c));
}

std::vector<model::Event> notification_events(StoreFixture& f, const model::Leaf& leaf) {
  auto events = f.events(leaf.session);
  REQUIRE(events.has_value());
  std::vector<model::Event> out;
  for (auto& e : *events)
    if (e.type.starts_with("notification_")) out.push_back(e);
  return out;
}

// Runs the loop until `done` or 10 s have passed. `done` reads the store, which runs the loop
// itself: what it waits for may have happened in there, so a 10 ms tick keeps this loop from
// sleeping on a wakeup that was already used.
template <class F>
bool run_until(StoreFixture& f, F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  loop::Timer tick(&f.loop);
  tick.start(
      10, [] {}, 10);
  while (!done() && std::chrono::steady_clock::now() < deadline) uv_run(&f.loop, UV_RUN_ONCE);
  tick.stop();
  return done();
}

std::string temp_path(const char* name) {
  return "/tmp/harness-notifier-" + std::to_string(::getpid()) + "-" + name;
}

}  // namespace

TEST_CASE("notifier: a command gets the JSON on stdin; the outcome is an event on the leaf") {
  StoreFixture f;
  agent::Journal journal(*f.store);
  http::HttpClient http(&f.loop);
  model::Leaf leaf = parked(f);
  std::string out = temp_path("stdin.json");
  config::NotifierConfig n;
  n.name = "pager";
  n.command = {"/bin/sh", "-c", "cat > " + out};
  agent::Notifier notifier(&f.loop, http, journal, config_with(n));

  notifier.gate_opened(leaf);
  CHECK(notifier.in_flight() == 1);  // started, not finished: nothing waited for it
  REQUIRE(run_until(f, [&] { return notification_events(f, leaf).size() == 1; }));
  model::Event sent = notification_events(f, leaf).at(0);
  CHECK(sent.type == "notification_sent");
  CHECK(sent.data["notifier"] == "pager");
  CHECK(sent.data["channel"] == "command");
  CHECK(sent.data["gate"] == 1);
  CHECK(sent.data["attempts"] == 1);
  CHECK(sent.data["status"] == 0);
  std::stringstream text;
  text << std::ifstream(out).rdbuf();
  auto body = model::Json::parse(text.str(), nullptr, false);
  REQUIRE_FALSE(body.is_discarded());
  CHECK(body["leaf"] == leaf.id);
  CHECK(body["command"] == "git push");
  ::unlink(out.c_str());
  notifier.close();
  http.close();
}

TEST_CASE("notifier: a URL that is down is retried, then failed without showing the URL") {
  StoreFixture f;
  agent::Journal journal(*f.store);
  http::HttpClient http(&f.loop);
  model::Leaf leaf = parked(f);
  config::NotifierConfig n;
  n.name = "hook";
  n.url = "http://127.0.0.1:1/secret-token-path";  // port 1: nothing listens
  n.attempts = 2;
  n.retry_backoff_ms = 10;
  agent::Notifier notifier(&f.loop, http, journal, config_with(n));

  notifier.gate_opened(leaf);
  REQUIRE(run_until(f, [&] { return notification_events(f, leaf).size() == 1; }));
  model::Event failed = notification_events(f, leaf).at(0);
  CHECK(failed.type == "notification_failed");
  CHECK(failed.data["attempts"] == 2);
  CHECK(failed.data["status"].is_null());
  std::string error = model::str_at(failed.data, "error");
  CHECK_MESSAGE(error.find("the url of notify.hook") != std::string::npos, error);
  CHECK_MESSAGE(error.find("secret-token-path") == std::string::npos, error);
  CHECK(notifier.in_flight() == 0);
  notifier.close();
  http.close();
}

TEST_CASE("notifier: closing with deliveries in flight writes nothing and lets the loop close") {
  StoreFixture f;
  agent::Journal journal(*f.store);
  http::HttpClient http(&f.loop);
  model::Leaf leaf = parked(f);
  config::NotifierConfig n;
  n.name = "slow";
  n.command = {"/bin/sh", "-c", "sleep 30"};
  n.timeout_ms = 60'000;
  agent::Notifier notifier(&f.loop, http, journal, config_with(n));

  notifier.gate_opened(leaf);
  for (int i = 0; i < 5; ++i) uv_run(&f.loop, UV_RUN_NOWAIT);
  CHECK(notifier.in_flight() == 1);
  notifier.close();
  CHECK(notifier.in_flight() == 0);
  notifier.gate_opened(leaf);  // after close: ignored
  CHECK(notifier.in_flight() == 0);
  http.close();
  CHECK(notification_events(f, leaf).empty());
  // The fixture's destructor closes the store, runs the loop dry and checks uv_loop_close()
  // returns 0: the killed child was reaped and every handle freed.
}
