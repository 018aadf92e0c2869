#include "tests/unit/http/raw_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace harness::http::test {

RawClient RawClient::connect_unix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    fd = -1;
  }
  return RawClient(fd);
}

RawClient RawClient::connect_tcp(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    fd = -1;
  }
  int one = 1;
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return RawClient(fd);
}

RawClient::RawClient(RawClient&& o) noexcept : m_fd(o.m_fd), m_buf(std::move(o.m_buf)) {
  o.m_fd = -1;
}

RawClient::~RawClient() {
  close();
}

void RawClient::close() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

bool RawClient::send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool RawClient::fill() {
  if (m_fd < 0) return false;
  pollfd p{m_fd, POLLIN, 0};
  if (poll(&p, 1, 5000) <= 0) return false;
  char buf[16384];
  ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
  if (n <= 0) return false;
  m_buf.append(buf, static_cast<size_t>(n));
  return true;
}

bool RawClient::read_line(std::string& line) {
  size_t pos;
  while ((pos = m_buf.find("\r\n")) == std::string::npos)
    if (!fill()) return false;
  line = m_buf.substr(0, pos);
  m_buf.erase(0, pos + 2);
  return true;
}

bool RawClient::read_exact(size_t n, std::string& out) {
  while (m_buf.size() < n)
    if (!fill()) return false;
  out.append(m_buf, 0, n);
  m_buf.erase(0, n);
  return true;
}

RawResponse RawClient::read_response(bool head) {
  RawResponse r;
  std::string line;
  if (!read_line(line) || line.size() < 12) return r;
  int status = std::atoi(line.substr(9, 3).c_str());
  while (read_line(line) && !line.empty()) {
    auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[name] = value;
  }
  if ((status >= 100 && status < 200) || head) {
    r.status = status;
    return r;
  }
  if (r.header("transfer-encoding") == "chunked") {
    for (;;) {
      if (!read_line(line)) return r;
      size_t size = std::strtoul(line.c_str(), nullptr, 16);
      if (size == 0) {
        read_line(line);
        break;
      }
      if (!read_exact(size, r.body) || !read_line(line)) return r;
    }
  } else if (!r.header("content-length").empty()) {
    if (!read_exact(std::strtoul(r.header("content-length").c_str(), nullptr, 10), r.body))
      return r;
  } else {
    while (fill()) {
    }
    r.body = std::move(m_buf);
    m_buf.clear();
  }
  r.status = status;
  return r;
}

bool RawClient::readable(int timeout_ms) {
  if (!m_buf.empty()) return true;
  pollfd p{m_fd, POLLIN, 0};
  return m_fd >= 0 && poll(&p, 1, timeout_ms) > 0;
}

bool RawClient::wait_closed(int timeout_ms) {
  if (!m_buf.empty()) return false;
  pollfd p{m_fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return ::recv(m_fd, &c, 1, 0) == 0;
}

bool eventually(const std::function<bool()>& pred, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

Fixture::Fixture(Handler handler, ServerOptions opts) {
  signal(SIGPIPE, SIG_IGN);  // as the daemon does; write errors are handled, not signalled
  REQUIRE(uv_loop_init(&loop) == 0);
  char tmpl[] = "/tmp/harness-http-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  dir = tmpl;
  sock = dir + "/harnessd.sock";
  server = std::make_unique<Server>(&loop, opts, std::move(handler));
  auto st = server->listen_unix(sock);
  REQUIRE_MESSAGE(st.has_value(), (st ? "" : st.error().message));
  auto st2 = server->listen_tcp("127.0.0.1", 0);
  REQUIRE_MESSAGE(st2.has_value(), (st2 ? "" : st2.error().message));
  REQUIRE(server->tcp_port() > 0);
}

Fixture::~Fixture() {
  if (!m_loop_closed) close_loop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

loop::Timer& Fixture::timer() {
  m_timers.push_back(std::make_unique<loop::Timer>(&loop));
  return *m_timers.back();
}

void Fixture::run(const std::function<void()>& client) {
  auto* async = new uv_async_t;
  uv_async_init(&loop, async, [](uv_async_t* a) {
    auto* self = static_cast<Fixture*>(a->data);
    self->server->close([self] { self->close_done = true; });
    uv_close(reinterpret_cast<uv_handle_t*>(a),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
  });
  async->data = this;
  std::thread t([&] {
    client();
    uv_async_send(async);
  });
  uv_run(&loop, UV_RUN_DEFAULT);
  t.join();
}

int Fixture::close_loop() {
  m_loop_closed = true;
  server.reset();
  m_timers.clear();
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop);
}

}  // namespace harness::http::test
