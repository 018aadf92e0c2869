#include "lib/store/redis/url.hpp"

#include <cctype>
#include <charconv>

#include "lib/model/redactor.hpp"

namespace harness::store::redis {
namespace {

Error bad(const std::string& url, const std::string& why) {
  return make_error(ErrorCode::invalid, "store URL '" + model::url_without_password(url) + "': " +
                                            why + " (expected redis://[user]:pass@host:port/db)");
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Percent-decoding of the userinfo parts; false on a broken escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = hex_value(in[i + 1]);
    int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool parse_int(std::string_view s, int lo, int hi, int& out) {
  if (s.empty() || s.size() > 6) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && out >= lo && out <= hi;
}

// "[user]:pass" (percent-encoded) into `out`.
Status parse_userinfo(const std::string& url, std::string_view info, RedisUrl& out) {
  size_t colon = info.find(':');
  if (colon == std::string_view::npos)
    return bad(url, "a userinfo without ':' is ambiguous; write :PASSWORD@ or USER:PASSWORD@");
  if (!percent_decode(info.substr(0, colon), out.user))
    return bad(url, "the user has a broken %-escape");
  if (!percent_decode(info.substr(colon + 1), out.password))
    return bad(url, "the password has a broken %-escape");
  if (out.password.empty()) return bad(url, "the password is empty");
  return {};
}

// "host[:port]" or "[v6][:port]" into `out`.
Status parse_hostport(const std::string& url, std::string_view hp, RedisUrl& out) {
  std::string_view port;
  bool has_port = false;
  if (hp.starts_with('[')) {
    size_t close = hp.find(']');
    if (close == std::string_view::npos) return bad(url, "an IPv6 address lacks its ']'");
    out.host = std::string(hp.substr(1, close - 1));
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad(url, "junk after the IPv6 address");
    has_port = !rest.empty();
    if (has_port) port = rest.substr(1);
  } else {
    size_t colon = hp.find(':');
    out.host = std::string(hp.substr(0, colon));
    has_port = colon != std::string_view::npos;
    if (has_port) port = hp.substr(colon + 1);
  }
  if (out.host.empty()) return bad(url, "no host");
  if (has_port && !parse_int(port, 1, 65535, out.port))
    return bad(url, "the port must be a number from 1 to 65535");
  return {};
}

}  // namespace

std::string RedisUrl::endpoint() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string RedisUrl::display() const {
  std::string auth;
  if (!password.empty()) auth = user + ":***@";
  return "redis://" + auth + endpoint() + "/" + std::to_string(db);
}

// The userinfo ends at the last '@' (as for model::url_without_password, which masks passwords
// in logs), so a password may hold '@' and '/' unescaped; '?' and '#' must be %-escaped.
Result<RedisUrl> parse_redis_url(const std::string& url) {
  if (url.rfind("rediss://", 0) == 0)
    return bad(url,
               "TLS (rediss://) is not supported; use redis:// over a trusted network or a "
               "TLS tunnel");
  if (url.rfind("redis://", 0) != 0) return bad(url, "the scheme must be redis://");
  if (url.find_first_of("?#") != std::string::npos)
    return bad(url,
               "query strings and fragments are not supported ('?' and '#' in a password "
               "must be written %3F and %23)");
  RedisUrl out;
  std::string_view rest(url);
  rest.remove_prefix(8);
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    HARNESS_TRY(parse_userinfo(url, rest.substr(0, at), out));
    rest.remove_prefix(at + 1);
  }
  size_t slash = rest.find('/');
  HARNESS_TRY(parse_hostport(url, rest.substr(0, slash), out));
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (!path.empty() && !parse_int(path, 0, 100000, out.db))
    return bad(url, "the database must be a number (the path is /DB)");
  return out;
}

}  // namespace harness::store::redis
