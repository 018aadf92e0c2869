#pragma once
// The transport under ApiClient: one HTTP/1.1 exchange with harnessd over its unix socket or over
// plain TCP (an http:// URL), on blocking sockets, with poll() in short slices so that SIGINT
// (lib/client/interrupt.hpp) and the deadlines are noticed. Its own code rather than libcurl:
// loading libcurl and the ~30 libraries it links (TLS, Kerberos, LDAP…) was most of the CPU of a
// `harnessctl` start, paid once per command by every script and every `harnessctl run`.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace harness::client {

struct ExchangeTarget {
  std::string socket_path;  // set: a unix socket
  std::string host;         // else TCP host and port
  std::string port;
};

struct ExchangeLimits {
  std::int64_t connect_ms = 5'000;
  std::int64_t total_ms = 0;  // 0: no limit
  std::int64_t stall_ms = 0;  // 0: no limit; else no byte for this long fails
};

// Why an exchange failed. `os_errno` is the system's error where there was one.
struct ExchangeFailure {
  enum class Kind { connect, resolve, timeout, io, protocol, interrupted } kind;
  int os_errno = 0;
  std::string detail;
};

// Called with the status once the response's headers are in, then with each piece of the body
// (de-chunked). Returning false stops reading (the exchange then succeeds).
struct ExchangeHandlers {
  std::function<void(int status)> on_status;
  std::function<bool(std::string_view body)> on_body;
};

// Parses "http://host[:port]" (no path beyond "/"). False for anything else (https included).
bool parse_http_url(std::string_view url, ExchangeTarget& out);

// Sends `request` (complete bytes) and reads the response to its end. Returns the failure, or
// nullopt-like Kind-less success through the bool.
bool http_exchange(const ExchangeTarget& target, const std::string& request,
                   const ExchangeLimits& limits, const ExchangeHandlers& handlers,
                   ExchangeFailure& failure);

}  // namespace harness::client
