#include "lib/client/http_exchange.hpp"

#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "lib/base/unique_fd.hpp"
#include "lib/client/interrupt.hpp"

namespace harness::client {
namespace {

constexpr int k_slice_ms = 100;  // how often a blocked exchange looks at SIGINT and deadlines

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool fail(ExchangeFailure& f, ExchangeFailure::Kind kind, int err, std::string detail) {
  f = ExchangeFailure{kind, err, std::move(detail)};
  return false;
}

// Waits until `fd` is ready for `events`, in slices; false (with `f` set) on SIGINT or when
// `deadline` (0: none) passed.
bool wait_ready(int fd, short events, std::int64_t deadline, const char* what, ExchangeFailure& f) {
  for (;;) {
    if (interrupted()) return fail(f, ExchangeFailure::Kind::interrupted, 0, "interrupted");
    int slice = k_slice_ms;
    if (deadline > 0) {
      std::int64_t left = deadline - now_ms();
      if (left <= 0) return fail(f, ExchangeFailure::Kind::timeout, ETIMEDOUT, what);
      if (left < slice) slice = static_cast<int>(left);
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, slice);
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return fail(f, ExchangeFailure::Kind::io, errno, "poll");
  }
}

// Clears O_NONBLOCK: the exchange itself waits in poll() slices.
void make_blocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
}

// A unix connect does not wait in the background: when the daemon's listen backlog is full it
// fails with EAGAIN, so it is retried every 10 ms until `connect_ms` (a stopped daemon must not
// hang the caller, nor make Ctrl-C useless).
bool connect_unix(const std::string& path, std::int64_t connect_ms, UniqueFd& out,
                  ExchangeFailure& f) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return fail(f, ExchangeFailure::Kind::connect, ENAMETOOLONG, "socket path too long");
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return fail(f, ExchangeFailure::Kind::connect, errno, "socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  std::int64_t deadline = now_ms() + connect_ms;
  while (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EAGAIN && errno != EINTR)
      return fail(f, ExchangeFailure::Kind::connect, errno, "connect");
    if (interrupted()) return fail(f, ExchangeFailure::Kind::interrupted, 0, "interrupted");
    if (now_ms() >= deadline) return fail(f, ExchangeFailure::Kind::timeout, ETIMEDOUT, "connect");
    ::poll(nullptr, 0, 10);
  }
  make_blocking(fd.get());
  out = std::move(fd);
  return true;
}

bool connect_tcp(const ExchangeTarget& t, std::int64_t connect_ms, UniqueFd& out,
                 ExchangeFailure& f) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(t.host.c_str(), t.port.c_str(), &hints, &found); rc != 0)
    return fail(f, ExchangeFailure::Kind::resolve, 0, ::gai_strerror(rc));
  int last = ECONNREFUSED;
  std::int64_t deadline = now_ms() + connect_ms;
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    UniqueFd fd(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol));
    if (!fd.valid()) {
      last = errno;
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = errno;
        continue;
      }
      if (!wait_ready(fd.get(), POLLOUT, deadline, "connect", f)) {
        ::freeaddrinfo(found);
        return false;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = err;
        continue;
      }
    }
    make_blocking(fd.get());
    ::freeaddrinfo(found);
    out = std::move(fd);
    return true;
  }
  ::freeaddrinfo(found);
  return fail(f, ExchangeFailure::Kind::connect, last, "connect");
}

// The response as http_parser sees it.
struct Reading {
  const ExchangeHandlers* handlers;
  bool complete = false;
  bool stopped = false;
};

int on_headers_complete(http_parser* p) {
  auto* r = static_cast<Reading*>(p->data);
  if (r->handlers->on_status) r->handlers->on_status(static_cast<int>(p->status_code));
  return 0;
}

int on_body(http_parser* p, const char* at, size_t n) {
  auto* r = static_cast<Reading*>(p->data);
  if (r->stopped || !r->handlers->on_body) return 0;
  if (!r->handlers->on_body(std::string_view(at, n))) {
    r->stopped = true;
    return 1;  // ends the parse: the caller stops reading
  }
  return 0;
}

int on_message_complete(http_parser* p) {
  static_cast<Reading*>(p->data)->complete = true;
  return 0;
}

}  // namespace

bool parse_http_url(std::string_view url, ExchangeTarget& out) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return false;
  std::string_view rest = url.substr(scheme.size());
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/") return false;
    rest = rest.substr(0, slash);
  }
  if (rest.empty()) return false;
  std::string_view host = rest, port = "80";
  if (rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return false;
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != port.npos)
    return false;
  out = ExchangeTarget{"", std::string(host), std::string(port)};
  return true;
}

bool http_exchange(const ExchangeTarget& target, const std::string& request,
                   const ExchangeLimits& limits, const ExchangeHandlers& handlers,
                   ExchangeFailure& f) {
  std::int64_t start = now_ms();
  std::int64_t deadline = limits.total_ms > 0 ? start + limits.total_ms : 0;
  UniqueFd fd;
  bool connected = target.socket_path.empty()
                       ? connect_tcp(target, limits.connect_ms, fd, f)
                       : connect_unix(target.socket_path, limits.connect_ms, fd, f);
  if (!connected) return false;

  for (size_t sent = 0; sent < request.size();) {
    if (!wait_ready(fd.get(), POLLOUT, deadline, "sending the request", f)) return false;
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail(f, ExchangeFailure::Kind::io, errno, "send");
    }
    sent += static_cast<size_t>(n);
  }

  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_headers_complete = on_headers_complete;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  Reading reading{&handlers};
  parser.data = &reading;
  char buf[16384];
  std::int64_t last_byte = now_ms();
  while (!reading.complete && !reading.stopped) {
    std::int64_t until = deadline;
    if (limits.stall_ms > 0 && (until == 0 || last_byte + limits.stall_ms < until))
      until = last_byte + limits.stall_ms;
    if (!wait_ready(fd.get(), POLLIN, until, "reading the response", f)) return false;
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail(f, ExchangeFailure::Kind::io, errno, "recv");
    }
    last_byte = now_ms();
    // n == 0: the end of the connection, which also ends a body without a length.
    size_t used = http_parser_execute(&parser, &settings, buf, static_cast<size_t>(n));
    if (reading.stopped) return true;
    if (parser.http_errno != HPE_OK)
      return fail(f, ExchangeFailure::Kind::protocol, 0,
                  http_errno_description(static_cast<http_errno>(parser.http_errno)));
    if (used != static_cast<size_t>(n) && !reading.complete)
      return fail(f, ExchangeFailure::Kind::protocol, 0, "malformed response");
    if (n == 0 && !reading.complete)
      return fail(f, ExchangeFailure::Kind::io, 0, "the connection closed mid-response");
  }
  return true;
}

}  // namespace harness::client
