#include "lib/http/url.hpp"

namespace harness::http {
namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void add_query_pair(Target& out, std::string_view pair) {
  if (pair.empty()) return;
  auto eq = pair.find('=');
  std::string_view key = pair.substr(0, eq);
  std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
  std::string k = percent_decode(key, true), v = percent_decode(value, true);
  out.query[k] = v;
  out.query_all.emplace(std::move(k), std::move(v));
}
}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<Target> parse_target(std::string_view target) {
  std::string_view rest = target;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (rest.substr(0, scheme.size()) == scheme) {
      rest.remove_prefix(scheme.size());
      auto slash = rest.find('/');
      rest = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    }
  }
  if (rest.empty() || rest.front() != '/')
    return make_error(ErrorCode::bad_request, "unsupported request target: " + std::string(target));
  rest = rest.substr(0, rest.find('#'));
  Target out;
  auto qmark = rest.find('?');
  out.path = percent_decode(rest.substr(0, qmark), false);
  if (out.path.find('\0') != std::string::npos)
    return make_error(ErrorCode::bad_request, "request path contains a NUL byte");
  if (qmark == std::string_view::npos) return out;
  std::string_view query = rest.substr(qmark + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    add_query_pair(out, query.substr(0, amp));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace harness::http
