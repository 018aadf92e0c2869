// HttpClient against a real TCP server on a std::thread; the client runs on a real uv loop.

#include "lib/http/client.hpp"

#include <doctest/doctest.h>
#include <uv.h>

#include <optional>

#include "tests/unit/http/scripted_server.hpp"

namespace harness::http {
namespace {

using test::ScriptedResponse;
using test::ScriptedServer;

// One request on a fresh loop; returns its result after the loop drained and closed cleanly.
Result<ClientResponse> fetch(ClientRequest req) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::optional<Result<ClientResponse>> got;
  int calls = 0;
  {
    HttpClient client(&loop);
    client.send(std::move(req), [&](Result<ClientResponse> r) {
      ++calls;
      got.emplace(std::move(r));
    });
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(client.in_flight() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(calls == 1);
  REQUIRE(got.has_value());
  return std::move(*got);
}

TEST_CASE("HttpClient: POST sends body and headers, returns status, body, lower-cased headers") {
  ScriptedServer server;
  server.push({201, "{\"ok\":true}", {{"X-Request-Id", "req_1"}, {"Retry-After", "3"}}});
  ClientRequest req;
  req.url = server.url() + "/v1/messages";
  req.headers = {{"x-api-key", "k"}, {"content-type", "application/json"}};
  req.body = std::string(5000, 'a');  // large enough that curl would send Expect by default
  auto r = fetch(req);
  REQUIRE(r.has_value());
  CHECK(r->status == 201);
  CHECK(r->body == "{\"ok\":true}");
  CHECK(r->header("x-request-id") == "req_1");
  CHECK(r->header("retry-after") == "3");
  CHECK(r->header("absent") == "");
  auto seen = server.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == "POST");
  CHECK(seen[0].path == "/v1/messages");
  CHECK(seen[0].header("x-api-key") == "k");
  CHECK(seen[0].body == req.body);
  CHECK_FALSE(seen[0].has_header("expect"));
}

TEST_CASE("HttpClient: GET and a 500 are both successes at this layer") {
  ScriptedServer server;
  server.push({500, "boom"});
  ClientRequest req;
  req.method = "GET";
  req.url = server.url() + "/x";
  auto r = fetch(req);
  REQUIRE(r.has_value());
  CHECK(r->status == 500);
  CHECK(r->body == "boom");
  CHECK(server.requests().at(0).method == "GET");
}

TEST_CASE("HttpClient: connection refused is unavailable and names the URL") {
  ClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(ScriptedServer::closed_port()) + "/v1/messages";
  auto r = fetch(req);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find(req.url) != std::string::npos);
}

TEST_CASE("HttpClient: a server that never answers in time gives timeout") {
  ScriptedServer server;
  server.push({200, "late", {}, 3000});
  ClientRequest req;
  req.url = server.url() + "/slow";
  req.timeout_ms = 200;
  auto started = uv_hrtime();
  auto r = fetch(req);
  auto took_ms = (uv_hrtime() - started) / 1'000'000;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::timeout);
  CHECK(took_ms < 2000);
}

TEST_CASE("HttpClient: a connection dropped without an answer is unavailable") {
  ScriptedServer server;
  ScriptedResponse drop;
  drop.drop = true;
  server.push(drop);
  ClientRequest req;
  req.url = server.url() + "/drop";
  auto r = fetch(req);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::unavailable);
}

TEST_CASE("HttpClient: a response over the body cap is too_large") {
  ScriptedServer server;
  ScriptedResponse big{200, ""};
  big.raw_head_extra =
      "Content-Length: " + std::to_string(HttpClient::k_max_body_bytes + 1) + "\r\n";
  big.send_body = false;
  server.push(big);
  ClientRequest req;
  req.url = server.url() + "/big";
  auto r = fetch(req);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::too_large);
}

TEST_CASE("HttpClient: many concurrent requests all complete once") {
  ScriptedServer server;
  const int n = 20;
  for (int i = 0; i < n; ++i) server.push({200, "r" + std::to_string(i)});
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<std::string> bodies;
  {
    HttpClient client(&loop);
    for (int i = 0; i < n; ++i) {
      ClientRequest req;
      req.method = "GET";
      req.url = server.url() + "/" + std::to_string(i);
      client.send(req, [&](Result<ClientResponse> r) {
        REQUIRE(r.has_value());
        bodies.push_back(r->body);
      });
    }
    CHECK(client.in_flight() == n);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(bodies.size() == n);
  CHECK(server.requests().size() == n);
}

TEST_CASE("HttpClient: cancel calls done once with an error, later, and stops the transfer") {
  ScriptedServer server;
  server.push({200, "late", {}, 1500});
  uv_loop_t loop;
  uv_loop_init(&loop);
  int calls = 0;
  std::optional<Error> err;
  {
    HttpClient client(&loop);
    ClientRequest req;
    req.url = server.url() + "/slow";
    auto id = client.send(req, [&](Result<ClientResponse> r) {
      ++calls;
      if (!r) err = r.error();
    });
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &client;
    struct Ctx {
      HttpClient* client;
      std::uint64_t id;
      int* calls;
    } ctx{&client, id, &calls};
    t.data = &ctx;
    uv_timer_start(
        &t,
        [](uv_timer_t* h) {
          auto* c = static_cast<Ctx*>(h->data);
          c->client->cancel(c->id);
          CHECK(*c->calls == 0);     // not inside cancel()
          c->client->cancel(c->id);  // a second cancel is a no-op
          uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
        },
        100, 0);
    auto started = uv_hrtime();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK((uv_hrtime() - started) / 1'000'000 < 1000);
    CHECK(client.in_flight() == 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(calls == 1);
  REQUIRE(err.has_value());
  CHECK(err->message.find("cancelled") != std::string::npos);
}

TEST_CASE("HttpClient: close() fails pending requests and lets the loop finish") {
  ScriptedServer server;
  server.push({200, "late", {}, 1500});
  uv_loop_t loop;
  uv_loop_init(&loop);
  int calls = 0;
  HttpClient client(&loop);
  ClientRequest req;
  req.url = server.url() + "/slow";
  client.send(req, [&](Result<ClientResponse> r) {
    ++calls;
    CHECK_FALSE(r.has_value());
  });
  uv_run(&loop, UV_RUN_NOWAIT);  // the connection is being made
  client.close();
  CHECK(calls == 1);
  CHECK(client.in_flight() == 0);
  client.send(req, [&](Result<ClientResponse> r) {
    ++calls;
    CHECK_FALSE(r.has_value());
  });
  CHECK(calls == 2);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("HttpClient: a kept-alive connection is reused, and close() releases it") {
  ScriptedServer server;
  ScriptedResponse first{200, "one"};
  first.keep_alive = true;
  ScriptedResponse second{200, "two"};
  second.keep_alive = true;
  server.push(first);
  server.push(second);
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::vector<std::string> bodies;
  {
    HttpClient client(&loop);
    ClientRequest req;
    req.method = "GET";
    req.url = server.url() + "/a";
    client.send(req, [&](Result<ClientResponse> r) {
      REQUIRE(r.has_value());
      bodies.push_back(r->body);
      client.send(req, [&](Result<ClientResponse> r2) {
        REQUIRE(r2.has_value());
        bodies.push_back(r2->body);
        client.close();  // from inside a callback: allowed, and releases the idle connection
      });
    });
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  CHECK(bodies == std::vector<std::string>{"one", "two"});
  CHECK(server.connections() == 1);
}

TEST_CASE("HttpClient: requests over a unix socket") {
  std::string path = "/tmp/harness_client_test_" + std::to_string(::getpid()) + ".sock";
  {
    ScriptedServer server(path);
    server.push({200, "{\"status\":\"ok\"}"});
    ClientRequest req;
    req.method = "GET";
    req.url = "http://localhost/healthz";
    req.unix_socket = path;
    auto r = fetch(req);
    REQUIRE(r.has_value());
    CHECK(r->body == "{\"status\":\"ok\"}");
    CHECK(server.requests().at(0).path == "/healthz");
  }
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace harness::http
