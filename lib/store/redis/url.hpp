#pragma once
// redis://[user:pass@]host:port/db URLs: parsing with clear errors, and a display form with the
// password masked (the only form that may reach a log, an error message or an API answer; for
// a URL as configured, model::url_without_password).

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

// Parses "redis://[[user]:pass@]host[:port][/db]"; user and pass may be percent-encoded.
// invalid (quoting the URL through model::url_without_password) for another scheme, rediss://
// (TLS is not supported by hiredis 0.14), a userinfo without ':' (a user or a password?), a
// missing host, a bad port or db, or a query string.
Result<RedisUrl> parse_redis_url(const std::string& url);

}  // namespace harness::store::redis
