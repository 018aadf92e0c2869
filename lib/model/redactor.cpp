// Every source reports spans of the text; the spans are merged (overlapping ones become one) and
// the text is rebuilt once. Literal values are found with a plain substring search, known words
// with one pass over the text; std::regex runs only for user patterns, one line at a time, so
// its recursion depth is bounded by a line rather than by the whole text.

#include "lib/model/redactor.hpp"

#include <algorithm>
#include <regex>

#include "lib/model/secret_scan.hpp"

namespace harness::model {
namespace {

using Json = nlohmann::json;

constexpr std::size_t k_min_word = 8;
constexpr std::size_t k_max_word = 512;
constexpr int k_literal_priority = 3;

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

Result<std::regex> compile(std::string_view pattern) {
  try {
    return std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return make_error(ErrorCode::invalid, "'" + std::string(pattern) +
                                              "' is not a valid regular expression: " + e.what());
  }
}

}  // namespace

struct Redactor::Impl {
  std::vector<Literal> literals;
  std::function<bool(std::string_view)> is_secret_word;
  std::string word_kind;
  std::vector<std::regex> patterns;

  void find_literals(std::string_view t, std::vector<SecretSpan>& out) const {
    for (const Literal& l : literals)
      for (auto at = t.find(l.value); at != std::string_view::npos;
           at = t.find(l.value, at + l.value.size()))
        out.push_back(SecretSpan{at, at + l.value.size(), l.kind, k_literal_priority});
  }

  void find_words(std::string_view t, std::vector<SecretSpan>& out) const {
    if (!is_secret_word) return;
    std::size_t i = 0;
    while (i < t.size()) {
      if (!is_word_char(t[i])) {
        ++i;
        continue;
      }
      std::size_t b = i;
      while (i < t.size() && is_word_char(t[i])) ++i;
      while (i < t.size() && t[i] == '=') ++i;
      std::size_t n = i - b;
      if (n >= k_min_word && n <= k_max_word && is_secret_word(t.substr(b, n)))
        out.push_back(SecretSpan{b, i, word_kind, k_literal_priority});
    }
  }

  void find_patterns(std::string_view t, std::vector<SecretSpan>& out) const {
    if (patterns.empty()) return;
    std::size_t line = 0;
    while (line <= t.size()) {
      std::size_t nl = t.find('\n', line);
      std::size_t end = nl == std::string_view::npos ? t.size() : nl;
      for (const std::regex& re : patterns) match_line(re, t, line, end, out);
      if (nl == std::string_view::npos) break;
      line = nl + 1;
    }
  }

  static void match_line(const std::regex& re, std::string_view t, std::size_t b, std::size_t e,
                         std::vector<SecretSpan>& out) {
    const char* base = t.data();
    try {
      for (std::cregex_iterator it(base + b, base + e, re), last; it != last; ++it)
        if (it->length(0) > 0) {
          auto at = static_cast<std::size_t>(it->position(0)) + b;
          out.push_back(SecretSpan{at, at + static_cast<std::size_t>(it->length(0)), "pattern"});
        }
    } catch (const std::exception&) {
      // error_complexity / error_stack: fail closed.
      if (e > b) out.push_back(SecretSpan{b, e, "pattern"});
    }
  }
};

Redactor::Redactor() : m_impl(std::make_unique<const Impl>()) {}
Redactor::~Redactor() = default;
Redactor::Redactor(Redactor&&) noexcept = default;
Redactor& Redactor::operator=(Redactor&&) noexcept = default;

Result<Redactor> Redactor::make(Options o) {
  auto impl = std::make_unique<Impl>();
  for (auto& l : o.literals)
    if (l.value.size() >= k_min_literal) impl->literals.push_back(std::move(l));
  // Longer values first: of two overlapping literals the longer one names the replacement.
  std::stable_sort(
      impl->literals.begin(), impl->literals.end(),
      [](const Literal& a, const Literal& b) { return a.value.size() > b.value.size(); });
  impl->is_secret_word = std::move(o.is_secret_word);
  impl->word_kind = std::move(o.word_kind);
  for (const auto& p : o.patterns) {
    HARNESS_TRY_ASSIGN(std::regex re, compile(p));
    impl->patterns.push_back(std::move(re));
  }
  Redactor r;
  r.m_impl = std::move(impl);
  return r;
}

std::string Redactor::pattern_error(std::string_view pattern) {
  auto r = compile(pattern);
  return r ? std::string() : r.error().message;
}

std::optional<std::string> Redactor::redact(std::string_view t) const {
  std::vector<SecretSpan> spans;
  scan_credentials(t, spans);
  m_impl->find_literals(t, spans);
  m_impl->find_words(t, spans);
  m_impl->find_patterns(t, spans);
  if (spans.empty()) return std::nullopt;
  std::sort(spans.begin(), spans.end(), [](const SecretSpan& a, const SecretSpan& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.priority != b.priority) return a.priority > b.priority;
    return a.end > b.end;
  });
  std::string out;
  out.reserve(t.size());
  std::size_t copied = 0;
  for (std::size_t k = 0; k < spans.size();) {
    std::size_t b = spans[k].begin, e = spans[k].end;
    std::string_view kind = spans[k].kind;
    for (++k; k < spans.size() && spans[k].begin < e; ++k) e = std::max(e, spans[k].end);
    out.append(t.substr(copied, b - copied));
    out.append("[REDACTED:").append(kind).append("]");
    copied = e;
  }
  out.append(t.substr(copied));
  return out;
}

std::string Redactor::redacted(std::string text) const {
  auto r = redact(text);
  return r ? std::move(*r) : std::move(text);
}

bool Redactor::redact_json(Json& j) const {
  if (auto* s = j.get_ptr<std::string*>()) {
    auto r = redact(*s);
    if (r) *s = std::move(*r);
    return r.has_value();
  }
  bool changed = false;
  if (j.is_array()) {
    for (auto& v : j) changed = redact_json(v) || changed;
    return changed;
  }
  if (!j.is_object()) return false;
  std::vector<std::pair<std::string, std::string>> renamed;
  for (auto it = j.begin(); it != j.end(); ++it) {
    changed = redact_json(it.value()) || changed;
    if (auto k = redact(it.key())) renamed.emplace_back(it.key(), std::move(*k));
  }
  for (auto& [from, to] : renamed) {
    Json v = std::move(j[from]);
    j.erase(from);
    j[to] = std::move(v);
  }
  return changed || !renamed.empty();
}

namespace {
// [begin, end) of the password in "scheme://user:password@host", or {0, 0}. The userinfo ends
// at the last '@' that is not in a query ("/path?x=a@b"), so a password may hold '@', '/' and
// '?' unescaped; a userinfo without ':' may be a password (redis-cli reads it so) and is masked
// whole. "scheme:///path" has no authority, so no password.
std::pair<std::size_t, std::size_t> password_span(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return {0, 0};
  std::size_t auth = scheme + 3;
  if (auth < url.size() && url[auth] == '/') return {0, 0};
  auto at = url.rfind('@');
  auto slash = url.find('/', auth);
  auto query = slash == std::string_view::npos ? slash : url.find_first_of("?#", slash);
  if (at != std::string_view::npos && query != std::string_view::npos && at > query)
    at = url.substr(0, query).rfind('@');
  if (at == std::string_view::npos || at < auth) return {0, 0};
  auto colon = url.find(':', auth);
  if (colon == std::string_view::npos || colon > at) return {auth, at};
  return {colon + 1, at};
}
}  // namespace

std::string url_without_password(std::string_view url) {
  auto [b, e] = password_span(url);
  if (b == e) return std::string(url);
  return std::string(url.substr(0, b)) + "***" + std::string(url.substr(e));
}

std::string url_password(std::string_view url) {
  auto [b, e] = password_span(url);
  return std::string(url.substr(b, e - b));
}

}  // namespace harness::model
