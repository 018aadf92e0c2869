#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "lib/client/api_client.hpp"
#include "lib/client/exit_codes.hpp"
#include "lib/client/http_exchange.hpp"
#include "lib/client/interrupt.hpp"
#include "tests/unit/client/test_server.hpp"

using namespace harness;
using namespace harness::client;
using namespace harness::client::testing;

TEST_CASE("ApiClient speaks JSON over the unix socket") {
  TestServer server([](const Request& r, int fd) {
    if (r.target == "/v1/version") return send_json(fd, 200, R"({"version":"0.1.0","api":1})");
    if (r.method == "POST") return send_json(fd, 201, R"({"id":"lf_1","state":"queued"})");
    send_json(fd, 404, R"({"error":{"code":"not_found","message":"no leaf lf_x"}})");
  });
  ApiClient client(Endpoint{server.socket_path(), "", ""});

  auto v = client.get("/v1/version");
  REQUIRE(v);
  CHECK((*v)["api"] == 1);

  auto leaf = client.post("/v1/leaves", Json{{"prompt", "hi"}}, {{"Idempotency-Key", "k1"}});
  REQUIRE(leaf);
  CHECK((*leaf)["id"] == "lf_1");
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].method == "POST");
  CHECK(Json::parse(reqs[1].body) == Json{{"prompt", "hi"}});
  CHECK(reqs[1].headers["idempotency-key"] == "k1");
  CHECK(reqs[1].headers["content-type"] == "application/json");
  CHECK(reqs[1].headers.count("authorization") == 0);

  auto missing = client.get("/v1/leaves/lf_x");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::not_found);
  CHECK(missing.error().message == "no leaf lf_x");
}

TEST_CASE("an error without the API's shape maps by HTTP status") {
  TestServer server([](const Request&, int fd) { send_json(fd, 403, "nope"); });
  ApiClient client(Endpoint{server.socket_path(), "", ""});
  auto r = client.get("/v1/leaves");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(exit_code_for_error(r.error().code) == 4);
}

TEST_CASE("ApiClient streams NDJSON line by line, across chunk boundaries") {
  TestServer server([](const Request&, int fd) {
    begin_chunks(fd);
    send_chunk(fd, "{\"seq\":1}\n{\"se");
    send_chunk(fd, "q\":2}\n");
    ::usleep(20'000);
    send_chunk(fd, "{\"type\":\"heartbeat\"}\n\n{\"seq\":3}");  // the last line lacks its newline
    end_chunks(fd);
  });
  ApiClient client(Endpoint{server.socket_path(), "", ""});
  std::vector<std::string> lines;
  auto st = client.stream("/v1/leaves/lf_1/events?after=0&follow=1", [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  });
  REQUIRE(st);
  CHECK(lines == std::vector<std::string>{"{\"seq\":1}", "{\"seq\":2}", "{\"type\":\"heartbeat\"}",
                                          "{\"seq\":3}"});
  CHECK(server.requests()[0].target == "/v1/leaves/lf_1/events?after=0&follow=1");

  lines.clear();
  REQUIRE(client.stream("/x", [&](std::string_view l) {
    lines.emplace_back(l);
    return false;  // stop after the first line
  }));
  CHECK(lines.size() == 1);
}

TEST_CASE("a daemon that is not there is unavailable, exit 10, with advice") {
  char tmpl[] = "/tmp/harnessctl-dead-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/harnessd.sock";
  ApiClient missing(Endpoint{path, "", ""});
  auto r = missing.get("/v1/version");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(exit_code_for_error(r.error().code) == 10);
  CHECK(r.error().message.find(path) != std::string::npos);
  CHECK(r.error().message.find("is it running?") != std::string::npos);

  // A socket file nobody listens on: connection refused.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
  ApiClient refused(Endpoint{path, "", ""});
  auto r2 = refused.get("/v1/version");
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == ErrorCode::unavailable);
  CHECK(r2.error().message.find("Connection refused") != std::string::npos);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("url_encode escapes everything but unreserved characters") {
  CHECK(url_encode("team=a b/c") == "team%3Da%20b%2Fc");
  CHECK(url_encode("lf_01AZ-x.~") == "lf_01AZ-x.~");
}

TEST_CASE("a base URL must be plain http://HOST[:PORT]") {
  ExchangeTarget t;
  REQUIRE(parse_http_url("http://127.0.0.1:7070", t));
  CHECK(t.host == "127.0.0.1");
  CHECK(t.port == "7070");
  REQUIRE(parse_http_url("http://harness.internal/", t));
  CHECK(t.host == "harness.internal");
  CHECK(t.port == "80");
  REQUIRE(parse_http_url("http://[::1]:7070", t));
  CHECK(t.host == "::1");
  for (const char* bad : {"https://h:7070", "http://", "http://h:x", "http://h:7070/v1", "h:7070"})
    CHECK_FALSE(parse_http_url(bad, t));
  ApiClient tls(Endpoint{"", "https://h.example:443", "tok"});
  auto r = tls.get("/v1/version");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::invalid);
  CHECK(r.error().message.find("plain HTTP") != std::string::npos);
}

TEST_CASE("a header value with a line break is refused, not sent") {
  TestServer server([](const Request&, int fd) { send_json(fd, 201, R"({"id":"lf_1"})"); });
  ApiClient client(Endpoint{server.socket_path(), "", ""});
  auto r = client.post("/v1/leaves", Json{{"prompt", "hi"}},
                       {{"Idempotency-Key", "k1\r\nX-Role: admin"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == ErrorCode::invalid);
  CHECK(server.requests().empty());
}

TEST_CASE("a daemon whose listen backlog is full does not hang harnessctl: Ctrl-C ends the wait") {
  char tmpl[] = "/tmp/harnessctl-full-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string path = dir + "/harnessd.sock";
  int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 0) == 0);  // never accepts: a stopped daemon
  std::vector<int> queued;
  for (int i = 0; i < 16; ++i) {
    int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      REQUIRE(errno == EAGAIN);
      ::close(c);
      break;
    }
    queued.push_back(c);
  }
  ApiClient client(Endpoint{path, "", ""});
  std::thread ctrl_c([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    request_interrupt();
  });
  auto t0 = std::chrono::steady_clock::now();
  auto r = client.get("/v1/version");
  auto waited = std::chrono::steady_clock::now() - t0;
  ctrl_c.join();
  reset_interrupt();
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "interrupted");
  CHECK(waited < std::chrono::seconds(2));
  for (int c : queued) ::close(c);
  ::close(listener);
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}
