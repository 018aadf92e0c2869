#pragma once
// A real redis-server for tests: started on 127.0.0.1, a free port, a fresh temp dir, AOF on;
// killed (SIGKILL) when the object goes. Blocking test-side code on the test thread.

#include <sys/types.h>

#include <string>
#include <vector>

namespace harness::store::test {

class RedisServer {
 public:
  // The redis-server on PATH, or "" when there is none.
  static std::string binary();

  // Starts it (extra_args go after ours, e.g. {"--user", "alice", "on", ...}) and waits until
  // it answers; fails the test if it cannot.
  explicit RedisServer(std::vector<std::string> extra_args = {});
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer();

  int port() const { return m_port; }
  const std::string& dir() const { return m_dir; }
  // redis://127.0.0.1:PORT/DB (with "user:pass@" when given).
  std::string url(int db = 0, const std::string& userinfo = "") const;

  // SIGKILL and reap: a crash, nothing flushed beyond what Redis already wrote.
  void kill9();
  // Starts again on the same port and dir (after kill9), so it reloads the AOF.
  void restart();
  // Sends a signal (SIGSTOP/SIGCONT) to the server.
  void signal(int sig);
  // Runs one command on a fresh blocking connection (as the default user); the reply as text
  // ("(nil)" for nil, "ERR..." for errors, integers in decimal, arrays as their length).
  std::string command(const std::vector<std::string>& argv) const;

 private:
  void spawn();
  bool wait_ready(std::string& why);

  std::string m_dir;
  std::vector<std::string> m_extra;
  int m_port = 0;
  pid_t m_pid = -1;
};

}  // namespace harness::store::test
