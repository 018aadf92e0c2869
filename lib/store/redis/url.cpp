#include "lib/store/redis/url.hpp"

#include <cctype>
#include <charconv>

namespace harness::store::redis {
namespace {

Error bad(const std::string& shown, const std::string& why) {
  return make_error(ErrorCode::invalid, "store URL '" + shown + "': " + why +
                                            " (expected redis://[user:pass@]host:port/db)");
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

// The scheme://userinfo@host/path split. The userinfo ends at the LAST '@' (paths hold only a
// db number), so a password may contain '@' and '/' unescaped and is still never shown.
struct Split {
  size_t authority = 0;            // first character after "scheme://"
  size_t at = std::string::npos;   // the '@' ending the userinfo, or npos
  size_t end = std::string::npos;  // the '/' starting the path, or npos
};

Split split(const std::string& url, size_t after_scheme) {
  Split s;
  s.authority = after_scheme;
  size_t at = url.rfind('@');
  if (at != std::string::npos && at >= after_scheme) s.at = at;
  s.end = url.find('/', s.at == std::string::npos ? after_scheme : s.at + 1);
  return s;
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

std::string redact_url(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  Split s = split(url, scheme_end + 3);
  if (s.at == std::string::npos) return url;
  size_t colon = url.find(':', s.authority);
  size_t from = colon == std::string::npos || colon > s.at ? s.authority : colon + 1;
  return url.substr(0, from) + "***" + url.substr(s.at);
}

Result<RedisUrl> parse_redis_url(const std::string& url) {
  std::string shown = redact_url(url);
  if (url.rfind("rediss://", 0) == 0)
    return bad(shown,
               "TLS (rediss://) is not supported; use redis:// over a trusted network or "
               "a TLS tunnel");
  if (url.rfind("redis://", 0) != 0) return bad(shown, "the scheme must be redis://");
  RedisUrl out;
  Split s = split(url, 8);
  size_t after_auth = s.at == std::string::npos ? s.authority : s.at + 1;
  if (url.find_first_of("?#", after_auth) != std::string::npos)
    return bad(shown, "query strings and fragments are not supported");
  size_t host_begin = s.authority;
  if (s.at != std::string::npos) {
    // As redis-cli: "user:pass" or ":pass", and a userinfo without ':' is a password.
    std::string_view info(url.data() + s.authority, s.at - s.authority);
    size_t colon = info.find(':');
    std::string_view user = colon == std::string_view::npos ? "" : info.substr(0, colon);
    std::string_view pass = colon == std::string_view::npos ? info : info.substr(colon + 1);
    if (!percent_decode(user, out.user)) return bad(shown, "the user has a broken %-escape");
    if (!percent_decode(pass, out.password))
      return bad(shown, "the password has a broken %-escape");
    if (out.password.empty()) return bad(shown, "the password is empty");
    host_begin = s.at + 1;
  }
  std::string_view hostport(url.data() + host_begin,
                            (s.end == std::string::npos ? url.size() : s.end) - host_begin);
  std::string_view port;
  if (hostport.starts_with('[')) {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return bad(shown, "an IPv6 address lacks its ']'");
    out.host = std::string(hostport.substr(1, close - 1));
    std::string_view rest = hostport.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad(shown, "junk after the IPv6 address");
    if (!rest.empty()) port = rest.substr(1);
    if (!rest.empty() && port.empty()) return bad(shown, "the port after ':' is empty");
  } else {
    size_t colon = hostport.find(':');
    out.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      if (port.empty()) return bad(shown, "the port after ':' is empty");
    }
  }
  if (out.host.empty()) return bad(shown, "no host");
  if (!port.empty() && !parse_int(port, 1, 65535, out.port))
    return bad(shown, "the port must be a number from 1 to 65535");
  if (s.end != std::string::npos) {
    std::string_view db(url.data() + s.end + 1, url.size() - s.end - 1);
    if (!db.empty() && !parse_int(db, 0, 100000, out.db))
      return bad(shown, "the database must be a number (the path is /DB)");
  }
  return out;
}

}  // namespace harness::store::redis
