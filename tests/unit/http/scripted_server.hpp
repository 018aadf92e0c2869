#pragma once
// A tiny blocking HTTP/1.1 server for tests, on its own std::thread and a real TCP socket on
// 127.0.0.1. It answers each connection with the next scripted response (then closes it) and
// records every request it read. The thread only touches the mutex-guarded script and log.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace harness::test {

struct ScriptedResponse {
  ScriptedResponse(int status_ = 200, std::string body_ = "",
                   std::vector<std::pair<std::string, std::string>> headers_ = {}, int delay = 0)
      : status(status_), body(std::move(body_)), headers(std::move(headers_)), delay_ms(delay) {}
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;            // wait before answering (the client may time out meanwhile)
  bool drop = false;           // close the connection without answering
  std::string raw_head_extra;  // appended verbatim to the head (e.g. a bogus Content-Length)
  bool send_body = true;
  bool keep_alive = false;  // keep the connection open and read the next request from it
};

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return "";
  }
  bool has_header(const std::string& lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return true;
    return false;
  }
};

class ScriptedServer {
 public:
  // Listens on a unix socket at `unix_path` (replacing any file there).
  explicit ScriptedServer(const std::string& unix_path) {
    m_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, unix_path.c_str(), sizeof addr.sun_path - 1);
    ::unlink(unix_path.c_str());
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(m_fd, 64);
    m_thread = std::thread([this] { serve(); });
  }
  // Listens on 127.0.0.1 on an ephemeral port.
  ScriptedServer() {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(m_fd, 64);
    socklen_t len = sizeof addr;
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }

  int port() const { return m_port; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
  void push(ScriptedResponse r) {
    std::lock_guard lock(m_mu);
    m_script.push_back(std::move(r));
  }
  std::vector<ReceivedRequest> requests() {
    std::lock_guard lock(m_mu);
    return m_requests;
  }
  // Times (steady clock) at which each request was fully read.
  std::vector<std::chrono::steady_clock::time_point> arrivals() {
    std::lock_guard lock(m_mu);
    return m_arrivals;
  }
  // Connections accepted so far.
  int connections() const { return m_connections; }

  // A port on 127.0.0.1 that nothing listens on (bound, then closed).
  static int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  bool wait_readable(int fd) {
    while (!m_stop) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void serve() {
    while (wait_readable(m_fd)) {
      int c = ::accept(m_fd, nullptr, nullptr);
      if (c < 0) continue;
      ++m_connections;
      while (handle(c)) {
      }
      ::close(c);
    }
  }

  bool read_request(int c, ReceivedRequest& req) {
    std::string buf;
    char tmp[65536];
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!wait_readable(c)) return false;
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, head_end);
    size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    req.method = first.substr(0, first.find(' '));
    req.path = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      req.headers.emplace_back(name, value);
      pos = e + 2;
    }
    size_t want =
        std::stoul(req.header("content-length").empty() ? "0" : req.header("content-length"));
    req.body = buf.substr(head_end + 4);
    while (req.body.size() < want) {
      if (!wait_readable(c)) return false;
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      req.body.append(tmp, static_cast<size_t>(n));
    }
    return true;
  }

  // Answers one request; true when the connection stays open for another.
  bool handle(int c) {
    ReceivedRequest req;
    if (!read_request(c, req)) return false;
    ScriptedResponse r{500, "{\"error\":\"no scripted response left\"}"};
    {
      std::lock_guard lock(m_mu);
      m_requests.push_back(req);
      m_arrivals.push_back(std::chrono::steady_clock::now());
      if (!m_script.empty()) {
        r = std::move(m_script.front());
        m_script.pop_front();
      }
    }
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(r.delay_ms);
    while (!m_stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (r.drop || m_stop) return false;
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + " Scripted\r\n";
    for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
    if (r.raw_head_extra.empty())
      out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    out += r.raw_head_extra + (r.keep_alive ? "\r\n" : "Connection: close\r\n\r\n");
    if (r.send_body) out += r.body;
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::send(c, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return r.keep_alive;
  }

  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_connections{0};
  std::mutex m_mu;
  std::deque<ScriptedResponse> m_script;
  std::vector<ReceivedRequest> m_requests;
  std::vector<std::chrono::steady_clock::time_point> m_arrivals;
  std::thread m_thread;
};

}  // namespace harness::test
