#pragma once
// redis://[user:pass@]host:port/db URLs: parsing with clear errors, and a display form with the
// password masked (the only form that may reach a log, an error message or an API answer).

#include <string>

#include "lib/base/result.hpp"

namespace harness::store::redis {

struct RedisUrl {
  std::string user;      // ACL user; empty = the default user (AUTH with the password only)
  std::string password;  // empty = no AUTH (a userinfo always has one)
  std::string host;      // a name or an address ("::1" without brackets)
  int port = 6379;
  int db = 0;  // SELECT db

  // "HOST:PORT" ("[::1]:6379" for IPv6): how messages name the server.
  std::string endpoint() const;
  // The URL with the password replaced by "***".
  std::string display() const;
};

// Parses "redis://[[user]:pass@]host[:port][/db]" (as redis-cli: a userinfo without ':' is the
// password). user and pass may be percent-encoded.
// invalid (never quoting the password) for another scheme, rediss:// (TLS is not supported by
// hiredis 0.14), a missing host, a bad port or db, or a query string.
Result<RedisUrl> parse_redis_url(const std::string& url);

// `url` with any password in its userinfo masked: for logging store URLs of either scheme.
std::string redact_url(const std::string& url);

}  // namespace harness::store::redis
