#pragma once
// A tiny blocking HTTP/1.1 server on a unix socket in a fresh temp dir, for ApiClient and CLI
// tests. One background thread accepts connections and serves one request per connection
// (Connection: close); the handler writes the response with the helpers below.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace harness::client::testing {

struct Request {
  std::string method;
  std::string target;                          // path and query
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

inline void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

inline std::string reason_phrase(int status) {
  return status < 300 ? "OK" : status == 404 ? "Not Found" : "Error";
}

// A complete response with a JSON body.
inline void send_json(int fd, int status, const std::string& body) {
  write_all(fd, "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) +
                    "\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

// Starts a chunked NDJSON response; send_chunk per piece, end_chunks to finish.
inline void begin_chunks(int fd) {
  write_all(fd,
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}
inline void send_chunk(int fd, const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  write_all(fd, size + data + "\r\n");
}
inline void end_chunks(int fd) {
  write_all(fd, "0\r\n\r\n");
}

class TestServer {
 public:
  using Handler = std::function<void(const Request&, int fd)>;

  explicit TestServer(Handler handler) : m_handler(std::move(handler)) {
    char tmpl[] = "/tmp/harnessctl-test-XXXXXX";
    m_dir = ::mkdtemp(tmpl);
    m_path = m_dir + "/harnessd.sock";
    m_listen = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", m_path.c_str());
    ::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(m_listen, 16);
    m_thread = std::thread([this] { serve(); });
  }
  ~TestServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_listen);
    std::error_code ec;
    std::filesystem::remove_all(m_dir, ec);
  }

  const std::string& socket_path() const { return m_path; }
  const std::string& dir() const { return m_dir; }
  std::vector<Request> requests() {
    std::lock_guard lock(m_mu);
    return m_requests;
  }

 private:
  void serve() {
    while (!m_stop) {
      pollfd p{m_listen, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(m_listen, nullptr, nullptr);
      if (fd < 0) continue;
      Request r;
      if (read_request(fd, r)) {
        {
          std::lock_guard lock(m_mu);
          m_requests.push_back(r);
        }
        m_handler(r, fd);
      }
      ::shutdown(fd, SHUT_RDWR);
      ::close(fd);
    }
  }

  static bool read_request(int fd, Request& r) {
    std::string buf;
    char chunk[4096];
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buf.append(chunk, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, head_end);
    size_t line_end = head.find("\r\n");
    std::string first = head.substr(0, line_end);
    r.method = first.substr(0, first.find(' '));
    r.target = first.substr(r.method.size() + 1, first.rfind(' ') - r.method.size() - 1);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      std::string line = head.substr(pos, e - pos);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t v = line.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : line.substr(v);
      }
      pos = e + 2;
    }
    size_t want = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    r.body = buf.substr(head_end + 4);
    while (r.body.size() < want) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      r.body.append(chunk, static_cast<size_t>(n));
    }
    return true;
  }

  Handler m_handler;
  std::string m_dir;
  std::string m_path;
  int m_listen = -1;
  std::atomic<bool> m_stop{false};
  std::mutex m_mu;
  std::vector<Request> m_requests;
  std::thread m_thread;
};

}  // namespace harness::client::testing
