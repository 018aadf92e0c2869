#pragma once
// Test helpers: a blocking HTTP client over plain sockets (run it on a std::thread) and a
// fixture that runs a real Server on a real loop with a unix socket in a temp dir and an
// ephemeral TCP port.

#include <uv.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/http/server.hpp"
#include "lib/loop/timer.hpp"

namespace harness::http::test {

struct RawResponse {
  int status = 0;  // 0: the connection closed or timed out before a full response
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;                            // de-chunked
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RawClient {
 public:
  static RawClient connect_unix(const std::string& path);
  static RawClient connect_tcp(int port);
  RawClient(RawClient&& o) noexcept;
  RawClient& operator=(RawClient&&) = delete;
  ~RawClient();

  bool ok() const { return m_fd >= 0; }
  bool send(std::string_view data);
  // One response (a 1xx counts as one); status 0 if the server closed or 5 s passed first.
  RawResponse read_response(bool head = false);
  // True when something (data or EOF) can be read within `timeout_ms`.
  bool readable(int timeout_ms = 0);
  // True when the server closes the connection within `timeout_ms` without sending more.
  bool wait_closed(int timeout_ms = 5000);
  void close();

 private:
  explicit RawClient(int fd) : m_fd(fd) {}
  bool fill();
  bool read_line(std::string& line);
  bool read_exact(size_t n, std::string& out);

  int m_fd = -1;
  std::string m_buf;
};

// Waits (polling) until `pred` holds or `timeout_ms` passes.
bool eventually(const std::function<bool()>& pred, int timeout_ms = 5000);

class Fixture {
 public:
  explicit Fixture(Handler handler, ServerOptions opts = {});
  ~Fixture();

  // Runs `client` on a thread while the loop runs on this one; when the client returns, closes
  // the server and runs the loop until everything is closed.
  void run(const std::function<void()>& client);
  // Destroys the server and test timers, drains the loop and returns uv_loop_close()'s result.
  int close_loop();
  // A timer owned by the fixture (loop thread only).
  loop::Timer& timer();

  uv_loop_t loop{};
  std::string dir;
  std::string sock;
  std::unique_ptr<Server> server;
  std::atomic<bool> close_done{false};

 private:
  std::vector<std::unique_ptr<loop::Timer>> m_timers;
  bool m_loop_closed = false;
};

}  // namespace harness::http::test
