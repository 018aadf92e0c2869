#include "tests/unit/store/redis_server.hpp"

#include <doctest/doctest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

extern char** environ;

namespace harness::store::test {
namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string reply_text(const redisReply* r) {
  if (!r) return "(no reply)";
  switch (r->type) {
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_ARRAY:
      return std::to_string(r->elements);
    default:
      return std::string(r->str, r->len);
  }
}

}  // namespace

std::string RedisServer::binary() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    std::string p = (d.empty() ? "." : d) + "/redis-server";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return {};
}

RedisServer::RedisServer(std::vector<std::string> extra_args) : m_extra(std::move(extra_args)) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "harness-redis-XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  m_dir = tmpl;
  std::string why;
  for (int i = 0; i < 5; ++i) {  // another process may take the port between probe and bind
    m_port = free_port();
    spawn();
    if (wait_ready(why)) return;
    kill9();
  }
  FAIL("redis-server did not start: " << why);
}

RedisServer::~RedisServer() {
  kill9();
  std::error_code ec;
  std::filesystem::remove_all(m_dir, ec);
}

std::string RedisServer::url(int db, const std::string& userinfo) const {
  return "redis://" + (userinfo.empty() ? "" : userinfo + "@") +
         "127.0.0.1:" + std::to_string(m_port) + "/" + std::to_string(db);
}

void RedisServer::spawn() {
  std::vector<std::string> args{binary(),
                                "--port",
                                std::to_string(m_port),
                                "--bind",
                                "127.0.0.1",
                                "--dir",
                                m_dir,
                                "--appendonly",
                                "yes",
                                "--save",
                                "",
                                "--daemonize",
                                "no",
                                "--logfile",
                                m_dir + "/redis.log"};
  args.insert(args.end(), m_extra.begin(), m_extra.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  REQUIRE(posix_spawn(&m_pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
}

bool RedisServer::wait_ready(std::string& why) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      why = "it exited (see its log in the temp dir)";
      return false;
    }
    std::string pong = command({"PING"});
    if (pong == "PONG" || pong.rfind("NOAUTH", 0) == 0) return true;
    why = pong;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void RedisServer::kill9() {
  if (m_pid <= 0) return;
  ::kill(m_pid, SIGKILL);
  int status = 0;
  ::waitpid(m_pid, &status, 0);
  m_pid = -1;
}

void RedisServer::restart() {
  kill9();
  spawn();
  std::string why;
  REQUIRE_MESSAGE(wait_ready(why), "redis-server did not restart: " << why);
}

void RedisServer::signal(int sig) {
  REQUIRE(m_pid > 0);
  ::kill(m_pid, sig);
}

std::string RedisServer::command(const std::vector<std::string>& argv) const {
  timeval tv{1, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", m_port, tv);
  if (!c || c->err) {
    std::string e = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    return "connect: " + e;
  }
  redisSetTimeout(c, tv);
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data()));
  std::string out = r ? reply_text(r) : std::string("error: ") + c->errstr;
  if (r) freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace harness::store::test
