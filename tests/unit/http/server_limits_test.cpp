// Limits of the HTTP server an attacker cannot stretch: the request deadline, the cap on
// buffered request bytes, the head check before any body is read, and the cap on a stream's
// unsent output. A real server on a real loop, driven by blocking socket clients on a thread.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "lib/http/server.hpp"
#include "tests/unit/http/raw_client.hpp"

using namespace harness;
using namespace harness::http;
using namespace harness::http::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {
std::atomic<int> g_handled{0};

void count_handler(Request&& req, std::shared_ptr<Responder> res) {
  ++g_handled;
  res->send_json(200, {{"size", req.body.size()}});
}

std::string post_head(const std::string& target, size_t length, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) +
         "\r\n" + extra + "\r\n";
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string error_message(const RawResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  return j.is_object() && j.contains("error") ? j["error"].value("message", "") : "";
}
}  // namespace

TEST_CASE("http limits: trickling bytes does not extend request_timeout") {
  ServerOptions o;
  o.request_timeout_ms = 300;
  o.idle_timeout_ms = 10'000;
  g_handled = 0;
  Fixture f(count_handler, o);
  RawResponse body_r, head_r;
  double body_secs = 99, head_secs = 99;
  bool body_closed = false, head_closed = false;
  f.run([&] {
    // A body of 100 bytes sent one byte every 40 ms would take 4 s; every read comes well
    // within any per-read timeout.
    std::thread body([&] {
      auto c = RawClient::connect_tcp(f.server->tcp_port());
      auto t0 = Clock::now();
      c.send(post_head("/slow-body", 100));
      for (int i = 0; i < 100 && !c.readable(40); ++i) c.send("x");
      body_r = c.read_response();
      body_secs = seconds_since(t0);
      body_closed = c.wait_closed();
    });
    // The same with the head itself.
    auto c = RawClient::connect_unix(f.sock);
    auto t0 = Clock::now();
    std::string head = "GET /slow-head HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(100, 'p');
    for (char ch : head)
      if (c.readable(40) || !c.send(std::string(1, ch))) break;
    head_r = c.read_response();
    head_secs = seconds_since(t0);
    head_closed = c.wait_closed();
    body.join();
  });
  CHECK(body_r.status == 408);
  CHECK(error_message(body_r).find("request_timeout") != std::string::npos);
  CHECK(body_closed);
  CHECK(head_r.status == 408);
  CHECK(head_closed);
  // The answer came at about the deadline, long before the trickle would have finished (4 s).
  CHECK(body_secs < 2.0);
  CHECK(head_secs < 2.0);
  CHECK(g_handled == 0);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http limits: a connection that never sends a byte is closed at request_timeout") {
  ServerOptions o;
  o.request_timeout_ms = 200;
  Fixture f(count_handler, o);
  bool closed = false;
  double secs = 99;
  f.run([&] {
    auto c = RawClient::connect_tcp(f.server->tcp_port());
    auto t0 = Clock::now();
    // Line breaks before a request are skipped by the parser: they must not keep it open.
    for (int i = 0; i < 5; ++i) {
      c.send("\r\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    closed = c.wait_closed(3000);
    secs = seconds_since(t0);
  });
  CHECK(closed);
  CHECK(secs < 2.0);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http limits: over max_buffered_bytes the connection holding the most is dropped") {
  ServerOptions o;
  o.max_body_bytes = 1u << 20;
  o.max_buffered_bytes = 256u << 10;
  g_handled = 0;
  Fixture f(count_handler, o);
  RawResponse big_r, small_r, third_r;
  bool big_closed = false;
  f.run([&] {
    auto big = RawClient::connect_tcp(f.server->tcp_port());
    big.send(post_head("/big", 300u << 10) + std::string(200u << 10, 'b'));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto small = RawClient::connect_unix(f.sock);
    small.send(post_head("/small", 30u << 10) + std::string(20u << 10, 's'));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    // 200 + 20 + 60 KiB > 256 KiB: the first one, the biggest holder, goes.
    auto third = RawClient::connect_unix(f.sock);
    third.send(post_head("/third", 100u << 10) + std::string(60u << 10, 't'));
    big_r = big.read_response();
    big_closed = big.wait_closed();
    // The others were left alone and finish normally.
    small.send(std::string(10u << 10, 's'));
    small_r = small.read_response();
    third.send(std::string(40u << 10, 't'));
    third_r = third.read_response();
  });
  CHECK(big_r.status == 503);
  CHECK(error_message(big_r).find("max_buffered_bytes") != std::string::npos);
  CHECK(big_closed);
  CHECK(small_r.status == 200);
  CHECK(json::parse(small_r.body)["size"] == 30u << 10);
  CHECK(third_r.status == 200);
  CHECK(g_handled == 2);
  CHECK(f.server->buffered_bytes() == 0);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http limits: the head check answers before any body is read") {
  ServerOptions o;
  o.max_body_bytes = 64u << 20;
  g_handled = 0;
  Fixture f(count_handler, o);
  std::vector<std::string> seen;  // loop thread only
  f.server->set_head_check([&](const Request& head) -> std::optional<EarlyAnswer> {
    seen.push_back(head.method + " " + head.path + " " + head.transport);
    CHECK(head.body.empty());
    if (head.header("authorization") == "Bearer good") return std::nullopt;
    return EarlyAnswer{
        401, make_error(ErrorCode::unauthorized, "no token"), {{"WWW-Authenticate", "Bearer"}}};
  });
  RawResponse refused, accepted, head_refused, big_anonymous, big_known;
  double refused_secs = 99;
  bool refused_closed = false;
  f.run([&] {
    // 50 MiB announced, none sent: the answer cannot wait for the body.
    auto a = RawClient::connect_tcp(f.server->tcp_port());
    auto t0 = Clock::now();
    a.send(post_head("/upload?x=1", 50u << 20));
    refused = a.read_response();
    refused_secs = seconds_since(t0);
    refused_closed = a.wait_closed();
    auto b = RawClient::connect_tcp(f.server->tcp_port());
    b.send(post_head("/upload", 5, "Authorization: Bearer good\r\nExpect: 100-continue\r\n"));
    auto cont = b.read_response();
    CHECK(cont.status == 100);
    b.send("hello");
    accepted = b.read_response();
    auto c = RawClient::connect_unix(f.sock);
    c.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n");
    head_refused = c.read_response(true);
    // Over the body cap: the caller is checked first, the size second.
    auto d = RawClient::connect_tcp(f.server->tcp_port());
    d.send(post_head("/upload", 100u << 20));
    big_anonymous = d.read_response();
    auto e = RawClient::connect_tcp(f.server->tcp_port());
    e.send(post_head("/upload", 100u << 20, "Authorization: Bearer good\r\n"));
    big_known = e.read_response();
  });
  CHECK(refused.status == 401);
  CHECK(refused.header("www-authenticate") == "Bearer");
  CHECK(refused.header("connection") == "close");
  CHECK(error_message(refused) == "no token");
  CHECK(refused_secs < 1.0);
  CHECK(refused_closed);
  CHECK(accepted.status == 200);
  CHECK(json::parse(accepted.body)["size"] == 5);
  CHECK(head_refused.status == 401);
  CHECK(big_anonymous.status == 401);
  CHECK(big_known.status == 413);
  CHECK(g_handled == 1);
  CHECK(seen == std::vector<std::string>{"POST /upload tcp", "POST /upload tcp", "HEAD /x unix",
                                         "POST /upload tcp", "POST /upload tcp"});
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http limits: a stream reader that stops reading is cut off at its cap") {
  ServerOptions o;
  o.max_stream_buffer_bytes = 256u << 10;
  constexpr size_t k_chunk = 16u << 10;
  size_t max_unsent = 0, written = 0;
  std::atomic<bool> on_close_called{false};
  bool refused = false;
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>(
      [&](Request&&, std::shared_ptr<Responder> res) {
        res->on_close([&] { on_close_called = true; });
        res->start_stream(200, "application/x-ndjson");
        auto& t = fp->timer();
        // A producer that ignores backpressure, as live events do.
        t.start(
            1,
            [&, res] {
              for (int i = 0; i < 8; ++i) {
                if (!res->write_chunk(std::string(k_chunk - 1, 'e') + "\n")) {
                  refused = true;
                  t.stop();
                  return;
                }
                written += k_chunk;
                max_unsent = std::max(max_unsent, res->unsent_bytes());
              }
            },
            1);
      },
      o);
  bool cut = false;
  fp->run([&] {
    auto c = RawClient::connect_unix(fp->sock);
    c.send("GET /follow HTTP/1.1\r\nHost: x\r\n\r\n");
    cut = eventually([&] { return on_close_called.load(); });
  });
  CHECK(cut);
  CHECK(refused);
  CHECK(max_unsent <= (256u << 10) + k_chunk + 64);
  CHECK(written < (64u << 20));  // cut off long before the producer ran away
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http limits: on_drain paces a producer so a reader that keeps up is never cut off") {
  ServerOptions o;
  o.max_stream_buffer_bytes = 128u << 10;
  constexpr size_t k_chunk = 32u << 10, k_total = 16u << 20;
  size_t written = 0;
  bool cut = false;
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>(
      [&](Request&&, std::shared_ptr<Responder> res) {
        res->start_stream(200, "application/octet-stream");
        auto pump = std::make_shared<std::function<void()>>();
        *pump = [&, res, pump] {
          while (written < k_total && res->unsent_bytes() <= (64u << 10)) {
            if (!res->write_chunk(std::string(k_chunk, 'p'))) {
              cut = true;
              *pump = nullptr;
              return;
            }
            written += k_chunk;
          }
          if (written < k_total) return res->on_drain(64u << 10, [pump] { (*pump)(); });
          res->end_stream();
          *pump = nullptr;
        };
        (*pump)();
      },
      o);
  RawResponse r;
  fp->run([&] {
    auto c = RawClient::connect_unix(fp->sock);
    c.send("GET /paced HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // slow to start reading
    r = c.read_response();
  });
  CHECK_FALSE(cut);
  CHECK(r.status == 200);
  CHECK(r.body.size() == k_total);
  CHECK(fp->close_loop() == 0);
}
