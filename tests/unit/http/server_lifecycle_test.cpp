// Listening, limits, timeouts and shutdown of the HTTP server on a real loop.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>
#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "lib/http/server.hpp"
#include "tests/unit/http/raw_client.hpp"

using namespace harness;
using namespace harness::http;
using namespace harness::http::test;
using nlohmann::json;

namespace {
void ok_handler(Request&& req, std::shared_ptr<Responder> res) {
  res->send_json(200, {{"path", req.path}, {"size", req.body.size()}});
}

std::string get(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
}

mode_t file_mode(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode;
}

// Leaves a socket file nobody listens on, as a crashed daemon would.
void make_stale_socket(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  close(fd);
}

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n;
}
}  // namespace

TEST_CASE("http listen: socket modes and group, no leftovers, file removed on close") {
  Fixture f(ok_handler);
  CHECK(S_ISSOCK(file_mode(f.sock)));
  CHECK((file_mode(f.sock) & 0777) == 0660);
  std::string p600 = f.dir + "/private.sock";
  REQUIRE(f.server->listen_unix(p600, 0600, getgid()));
  CHECK((file_mode(p600) & 0777) == 0600);
  struct stat st {};
  REQUIRE(lstat(p600.c_str(), &st) == 0);
  CHECK(st.st_gid == getgid());
  // Only the two sockets: the private bind directories are gone.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(f.dir)) ++entries;
  CHECK(entries == 2);
  RawResponse r;
  f.run([&] {
    auto c = RawClient::connect_unix(p600);
    c.send(get("/private"));
    r = c.read_response();
  });
  CHECK(r.status == 200);
  CHECK(file_mode(f.sock) == 0);  // removed by close()
  CHECK(file_mode(p600) == 0);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http listen: a stale socket is replaced, a live one is refused") {
  Fixture f(ok_handler);
  std::string stale = f.dir + "/stale.sock";
  make_stale_socket(stale);
  REQUIRE(f.server->listen_unix(stale));

  {
    Server second(&f.loop, {}, ok_handler);
    auto st = second.listen_unix(f.sock);
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().message == "another daemon is listening on " + f.sock);
    std::string file = f.dir + "/plain-file";
    REQUIRE(write(open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600), "x", 1) == 1);
    auto st2 = second.listen_unix(file);
    REQUIRE_FALSE(st2.has_value());
    CHECK(st2.error().message.find(file) != std::string::npos);
    auto st3 = second.listen_unix(f.dir + "/missing-dir/x.sock");
    REQUIRE_FALSE(st3.has_value());
    CHECK(st3.error().message.find("missing-dir") != std::string::npos);
  }

  RawResponse via_stale, via_first;
  f.run([&] {
    auto a = RawClient::connect_unix(stale);
    a.send(get("/a"));
    via_stale = a.read_response();
    auto b = RawClient::connect_unix(f.sock);  // the refused server did not disturb it
    b.send(get("/b"));
    via_first = b.read_response();
  });
  CHECK(via_stale.status == 200);
  CHECK(via_first.status == 200);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http close: an in-flight response finishes, then the connection closes") {
  std::unique_ptr<Fixture> fp;
  bool done_called = false;
  fp = std::make_unique<Fixture>([&](Request&&, std::shared_ptr<Responder> res) {
    fp->timer().start(50, [res] { res->send(200, "text/plain", "finished"); });
    fp->server->close([&] { done_called = true; });
  });
  RawResponse r;
  bool closed = false;
  fp->run([&] {
    auto c = RawClient::connect_unix(fp->sock);
    c.send(get("/inflight"));
    r = c.read_response();
    closed = c.wait_closed();
  });
  CHECK(r.status == 200);
  CHECK(r.body == "finished");
  CHECK(r.header("connection") == "close");
  CHECK(closed);
  CHECK(done_called);
  CHECK(fp->close_done);
  CHECK(fp->server->connection_count() == 0);
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http close: after the grace period unanswered requests are cut off") {
  std::unique_ptr<Fixture> fp;
  int on_close_calls = 0;
  ServerOptions o;
  o.close_grace_ms = 50;
  std::shared_ptr<Responder> held;
  fp = std::make_unique<Fixture>(
      [&](Request&&, std::shared_ptr<Responder> res) {
        res->on_close([&] { ++on_close_calls; });
        held = res;
        fp->server->close([] {});
      },
      o);
  bool closed = false;
  fp->run([&] {
    auto c = RawClient::connect_unix(fp->sock);
    c.send(get("/never"));
    closed = c.wait_closed();
  });
  CHECK(closed);
  CHECK(on_close_calls == 1);
  CHECK(fp->close_done);
  CHECK(held->closed());
  held.reset();
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http timeouts: slow headers get 408, idle connections are closed, busy ones are not") {
  ServerOptions o;
  o.request_timeout_ms = 100;
  o.idle_timeout_ms = 150;
  std::unique_ptr<Fixture> fp;
  fp = std::make_unique<Fixture>(
      [&](Request&& req, std::shared_ptr<Responder> res) {
        if (req.path == "/slow") {
          fp->timer().start(400, [res] { res->send(200, "text/plain", "slow but fine"); });
          return;
        }
        res->send(200, "text/plain", "ok");
      },
      o);
  RawResponse timed_out, slow, quick;
  bool slow_headers_closed = false, idle_closed = false;
  fp->run([&] {
    auto a = RawClient::connect_unix(fp->sock);
    a.send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes its head
    timed_out = a.read_response();
    slow_headers_closed = a.wait_closed();
    auto b = RawClient::connect_tcp(fp->server->tcp_port());
    b.send(get("/slow"));
    slow = b.read_response();
    b.send(get("/quick"));
    quick = b.read_response();
    idle_closed = b.wait_closed(3000);
  });
  CHECK(timed_out.status == 408);
  CHECK(json::parse(timed_out.body)["error"]["code"] == "timeout");
  CHECK(slow_headers_closed);
  CHECK(slow.body == "slow but fine");
  CHECK(quick.body == "ok");
  CHECK(idle_closed);
  CHECK(fp->close_loop() == 0);
}

TEST_CASE("http limits: connections over max_connections get 503 and are closed") {
  ServerOptions o;
  o.max_connections = 1;
  Fixture f(ok_handler, o);
  RawResponse first, refused, again, later;
  bool second_closed = false;
  f.run([&] {
    auto a = RawClient::connect_unix(f.sock);
    a.send(get("/one"));
    first = a.read_response();
    auto b = RawClient::connect_unix(f.sock);
    refused = b.read_response();
    second_closed = b.wait_closed();
    a.send(get("/one-again"));
    again = a.read_response();
    a.close();
    // Once the first leaves there is room again.
    eventually([&] {
      auto c = RawClient::connect_tcp(f.server->tcp_port());
      c.send(get("/later"));
      later = c.read_response();
      return later.status == 200;
    });
  });
  CHECK(first.status == 200);
  CHECK(refused.status == 503);
  CHECK(refused.header("connection") == "close");
  CHECK(json::parse(refused.body)["error"]["code"] == "unavailable");
  CHECK(json::parse(refused.body)["error"]["message"].get<std::string>().find(
            "max_connections 1") != std::string::npos);
  CHECK(second_closed);
  CHECK(again.status == 200);
  CHECK(later.status == 200);
  CHECK(f.close_loop() == 0);
}

TEST_CASE("http with libcurl: 100-continue uploads do not stall, oversized ones get 413") {
  ServerOptions o;
  o.max_body_bytes = 1u << 20;
  Fixture f(ok_handler, o);
  long code_ok = 0, code_big = 0;
  double secs_ok = 99, secs_big = 99;
  f.run([&] {
    auto upload = [&](size_t size, long& code, double& secs) {
      std::string body(size, 'z');
      CURL* c = curl_easy_init();
      curl_slist* h = curl_slist_append(nullptr, "Expect: 100-continue");
      curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, f.sock.c_str());
      curl_easy_setopt(c, CURLOPT_URL, "http://localhost/upload");
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &discard);
      curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10'000L);
      auto t0 = std::chrono::steady_clock::now();
      if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
      secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      curl_slist_free_all(h);
      curl_easy_cleanup(c);
    };
    upload(512u << 10, code_ok, secs_ok);
    upload(4u << 20, code_big, secs_big);
  });
  CHECK(code_ok == 200);
  CHECK(secs_ok < 0.9);  // curl waits 1 s for a 100 Continue that never comes
  CHECK(code_big == 413);
  CHECK(secs_big < 0.9);
  CHECK(f.close_loop() == 0);
}
