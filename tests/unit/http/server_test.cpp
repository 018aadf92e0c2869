// The HTTP server on a real loop, driven by a blocking socket client on a thread.
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "lib/http/server.hpp"
#include "tests/unit/http/raw_client.hpp"

using namespace harness;
using namespace harness::http;
using namespace harness::http::test;
using nlohmann::json;

namespace {
// Answers with what it saw.
void echo(Request&& req, std::shared_ptr<Responder> res) {
  json q = json::object();
  for (const auto& [k, v] : req.query) q[k] = v;
  res->send_json(200, {{"method", req.method},
                       {"path", req.path},
                       {"query", q},
                       {"body", req.body},
                       {"transport", req.transport},
                       {"remote", req.remote},
                       {"peer_known", req.peer.known},
                       {"uid", req.peer.uid},
                       {"pid", req.peer.pid},
                       {"x_test", req.header("x-test")}});
}

json body_json(const RawResponse& r) {
  return json::parse(r.body, nullptr, false);
}

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}

std::string post(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nContent-Type: text/plain\r\n\r\n" + body;
}
}  // namespace

TEST_CASE("http server: GET and POST over unix and tcp, with query decoding and peer creds") {
  Fixture f(echo);
  RawResponse unix_get, unix_again, tcp_post;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send(get("/v1/leaves/a%20b?state=running&label=k%3Dv&x=a+b&empty", "X-Test: yes\r\n"));
    unix_get = c.read_response();
    c.send(get("/again"));  // keep-alive: same connection
    unix_again = c.read_response();
    auto t = RawClient::connect_tcp(f.server->tcp_port());
    t.send(post("/echo", "hello body"));
    tcp_post = t.read_response();
  });
  REQUIRE(unix_get.status == 200);
  CHECK(unix_get.header("content-type") == "application/json");
  CHECK(unix_get.header("content-length") == std::to_string(unix_get.body.size()));
  auto j = body_json(unix_get);
  CHECK(j["method"] == "GET");
  CHECK(j["path"] == "/v1/leaves/a b");
  CHECK(j["query"] == json{{"state", "running"}, {"label", "k=v"}, {"x", "a b"}, {"empty", ""}});
  CHECK(j["transport"] == "unix");
  CHECK(j["remote"] == "unix");
  CHECK(j["peer_known"] == true);
  CHECK(j["uid"] == getuid());
  CHECK(j["pid"] == getpid());
  CHECK(j["x_test"] == "yes");
  CHECK(body_json(unix_again)["path"] == "/again");
  REQUIRE(tcp_post.status == 200);
  auto p = body_json(tcp_post);
  CHECK(p["method"] == "POST");
  CHECK(p["body"] == "hello body");
  CHECK(p["transport"] == "tcp");
  CHECK(p["peer_known"] == false);
  CHECK(p["remote"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
  CHECK(f.close_done);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: pipelined requests are answered strictly in order") {
  std::vector<std::string> log;  // loop thread only
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>([&](Request&& req, std::shared_ptr<Responder> res) {
    log.push_back("dispatch " + req.path);
    if (req.path == "/slow") {
      fp->timer().start(20, [&log, res] {
        log.push_back("answer /slow");
        res->send(200, "text/plain", "slow");
      });
    } else {
      res->send(200, "text/plain", "fast");
    }
  });
  RawResponse a, b;
  fp->run([&] {
    auto c = RawClient::connect_unix(fp->sock);
    c.send(get("/slow") + get("/fast"));
    a = c.read_response();
    b = c.read_response();
  });
  CHECK(a.body == "slow");
  CHECK(b.body == "fast");
  CHECK(log == std::vector<std::string>{"dispatch /slow", "answer /slow", "dispatch /fast"});
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http server: a request sent one byte at a time") {
  Fixture f(echo);
  RawResponse r;
  f.run([&] {
    auto c = RawClient::connect_tcp(f.server->tcp_port());
    std::string req = post("/bytes?a=1", "0123456789");
    for (char ch : req) {
      c.send(std::string_view(&ch, 1));
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    r = c.read_response();
  });
  REQUIRE(r.status == 200);
  auto j = body_json(r);
  CHECK(j["path"] == "/bytes");
  CHECK(j["query"]["a"] == "1");
  CHECK(j["body"] == "0123456789");
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: a chunked request body is de-chunked") {
  Fixture f(echo);
  RawResponse r;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send(
        "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    r = c.read_response();
  });
  CHECK(body_json(r)["body"] == "hello world");
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: an oversized body gets 413 and the connection is closed") {
  int calls = 0;
  ServerOptions o;
  o.max_body_bytes = 1024;
  Fixture f(
      [&](Request&&, std::shared_ptr<Responder> res) {
        ++calls;
        res->send(200, "text/plain", "ok");
      },
      o);
  RawResponse declared, chunked;
  bool declared_closed = false, chunked_closed = false;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n");
    c.send(std::string(64 * 1024, 'x'));  // the server discards this, never buffers 100 MB
    declared = c.read_response();
    declared_closed = c.wait_closed();
    auto t = RawClient::connect_tcp(f.server->tcp_port());
    t.send("POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; ++i) t.send("200\r\n" + std::string(512, 'y') + "\r\n");
    chunked = t.read_response();
    chunked_closed = t.wait_closed();
  });
  CHECK(calls == 0);
  REQUIRE(declared.status == 413);
  CHECK(declared.header("connection") == "close");
  auto j = body_json(declared);
  CHECK(j["error"]["code"] == "too_large");
  CHECK(j["error"]["message"].get<std::string>().find("1024") != std::string::npos);
  CHECK(declared_closed);
  CHECK(chunked.status == 413);
  CHECK(body_json(chunked)["error"]["code"] == "too_large");
  CHECK(chunked_closed);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: garbage gets a 400 JSON error and the connection is closed") {
  Fixture f(echo);
  RawResponse r;
  bool closed = false;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send("HELLO THERE\r\n\r\n");
    r = c.read_response();
    closed = c.wait_closed();
  });
  CHECK(r.status == 400);
  CHECK(r.header("connection") == "close");
  CHECK(body_json(r)["error"]["code"] == "bad_request");
  CHECK(closed);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: a handler may answer later from a timer") {
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>([&](Request&&, std::shared_ptr<Responder> res) {
    CHECK_FALSE(res->responded());
    fp->timer().start(20, [res] { res->send_json(201, {{"late", true}}); });
  });
  RawResponse r;
  std::chrono::milliseconds took{};
  fp->run([&] {
    auto c = RawClient::connect_unix(fp->sock);
    auto t0 = std::chrono::steady_clock::now();
    c.send(get("/late"));
    r = c.read_response();
    took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 t0);
  });
  CHECK(r.status == 201);
  CHECK(body_json(r)["late"] == true);
  CHECK(took.count() >= 15);
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http server: a streamed chunked response reads back intact, then keep-alive goes on") {
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>([&](Request&& req, std::shared_ptr<Responder> res) {
    if (req.path != "/stream") {
      res->send(200, "text/plain", "after");
      return;
    }
    res->start_stream(200, "application/x-ndjson");
    auto n = std::make_shared<int>(0);
    auto& t = fp->timer();
    t.start(
        5,
        [res, n, &t] {
          if (++*n <= 3) {
            CHECK(res->write_chunk("{\"n\":" + std::to_string(*n) + "}\n"));
            return;
          }
          res->end_stream();
          t.stop();
        },
        5);
  });
  RawResponse s, after;
  fp->run([&] {
    auto c = RawClient::connect_tcp(fp->server->tcp_port());
    c.send(get("/stream"));
    s = c.read_response();
    c.send(get("/next"));
    after = c.read_response();
  });
  CHECK(s.status == 200);
  CHECK(s.header("transfer-encoding") == "chunked");
  CHECK(s.header("content-type") == "application/x-ndjson");
  CHECK(s.body == "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
  CHECK(after.body == "after");
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http server: a client disconnect calls on_close and drops the late answer") {
  std::atomic<bool> got{false}, closed_cb{false};
  int close_calls = 0;
  std::shared_ptr<Responder> held;
  Fixture f([&](Request&&, std::shared_ptr<Responder> res) {
    res->on_close([&] {
      ++close_calls;
      closed_cb = true;
    });
    held = res;
    got = true;
  });
  bool saw_close = false;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send(get("/wait"));
    REQUIRE(eventually([&] { return got.load(); }));
    c.close();
    saw_close = eventually([&] { return closed_cb.load(); });
  });
  CHECK(saw_close);
  CHECK(close_calls == 1);
  REQUIRE(held);
  CHECK(held->closed());
  held->send(200, "text/plain", "too late");  // dropped, no crash
  CHECK_FALSE(held->write_chunk("x"));
  held.reset();
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: Expect: 100-continue gets an interim 100 before the body is sent") {
  Fixture f(echo);
  RawResponse interim, final_r;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send("PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
    interim = c.read_response();
    c.send("abcde");
    final_r = c.read_response();
  });
  CHECK(interim.status == 100);
  CHECK(final_r.status == 200);
  CHECK(body_json(final_r)["body"] == "abcde");
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: a throwing handler yields a 500 JSON error") {
  Fixture f([](Request&&, std::shared_ptr<Responder>) { throw std::runtime_error("boom"); });
  RawResponse r, again;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send(get("/x"));
    r = c.read_response();
    c.send(get("/y"));
    again = c.read_response();
  });
  CHECK(r.status == 500);
  auto j = body_json(r);
  CHECK(j["error"]["code"] == "internal");
  CHECK(j["error"]["message"].get<std::string>().find("boom") != std::string::npos);
  CHECK(again.status == 500);  // the connection survived
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: Connection: close is honoured") {
  Fixture f(echo);
  RawResponse r;
  bool closed = false;
  f.run([&] {
    auto c = RawClient::connect_tcp(f.server->tcp_port());
    c.send(get("/bye", "Connection: close\r\n"));
    r = c.read_response();
    closed = c.wait_closed();
  });
  CHECK(r.status == 200);
  CHECK(r.header("connection") == "close");
  CHECK(closed);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: send_error uses the API's error shape and status; HEAD has no body") {
  Fixture f([](Request&&, std::shared_ptr<Responder> res) {
    res->send_error(make_error(ErrorCode::not_found, "no such leaf: lf_1"));
  });
  RawResponse head, r;
  f.run([&] {
    auto c = RawClient::connect_unix(f.sock);
    c.send("HEAD /v1/leaves/lf_1 HTTP/1.1\r\nHost: x\r\n\r\n" + get("/v1/leaves/lf_1"));
    head = c.read_response(/*head=*/true);
    r = c.read_response();
  });
  CHECK(head.status == 404);
  CHECK(head.body.empty());
  CHECK(head.header("content-length") == std::to_string(r.body.size()));
  CHECK(r.status == 404);
  CHECK(body_json(r) ==
        json::parse(R"({"error":{"code":"not_found","message":"no such leaf: lf_1"}})"));
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http server: write_queue_bytes reports what a slow reader has not taken yet") {
  constexpr size_t k_chunk = 64u << 10, k_total = 4u << 20, k_high = 1u << 20;
  size_t max_queued = 0, written = 0;
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>([&](Request&&, std::shared_ptr<Responder> res) {
    res->start_stream(200, "application/octet-stream");
    auto& t = fp->timer();
    t.start(
        1,
        [&, res] {
          // A producer that respects backpressure: pause above the high-water mark.
          while (written < k_total && res->write_queue_bytes() < k_high) {
            res->write_chunk(std::string(k_chunk, 'q'));
            written += k_chunk;
            max_queued = std::max(max_queued, res->write_queue_bytes());
          }
          if (written >= k_total) {
            res->end_stream();
            t.stop();
          }
        },
        1);
  });
  RawResponse r;
  fp->run([&] {
    auto c = RawClient::connect_unix(fp->sock);
    c.send(get("/flood"));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // not reading yet
    r = c.read_response();
  });
  CHECK(r.status == 200);
  CHECK(r.body.size() == k_total);
  CHECK(max_queued >= k_high);               // the unread data showed up as queued
  CHECK(max_queued < k_high + 2 * k_chunk);  // and the producer could keep it bounded
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http server: a client leaving mid-stream stops the stream and calls on_close") {
  std::atomic<bool> closed_cb{false};
  bool chunk_refused = false;
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>([&](Request&&, std::shared_ptr<Responder> res) {
    res->on_close([&] { closed_cb = true; });
    res->start_stream(200, "application/x-ndjson");
    auto& t = fp->timer();
    t.start(
        2,
        [&, res] {
          if (!res->write_chunk(std::string(1024, 'e') + "\n")) {
            chunk_refused = true;
            t.stop();
          }
        },
        2);
  });
  bool saw = false;
  fp->run([&] {
    auto c = RawClient::connect_tcp(fp->server->tcp_port());
    c.send(get("/follow"));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    c.close();
    saw = eventually([&] { return closed_cb.load(); });
  });
  CHECK(saw);
  CHECK(fp->close_loop() == 0);
  CHECK(chunk_refused);  // the producer learnt it on its next write
}
