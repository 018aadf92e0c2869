// One pass over the bytes: a switch on the byte picks the few shapes that can start there, and
// each shape is checked by hand. The scan goes on inside a match too (a shape starting inside an
// Authorization value may reach past it; overlapping spans are merged by the Redactor). The one
// search that could make the pass quadratic, for a PEM block's END line, remembers where it
// failed. Shapes require a boundary before them (the previous byte is not part of a key) so
// "task-…" is not "sk-…".

#include "lib/model/secret_scan.hpp"

namespace harness::model {
namespace {

constexpr std::string_view k_marker = "[REDACTED:";
constexpr std::size_t k_pem_header_max = 100;

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}
// Characters of API keys and base64url: letters, digits, '_' and '-'.
bool is_key_char(char c) {
  return is_alnum(c) || c == '_' || c == '-';
}
bool is_upper_or_digit(char c) {
  return (c >= 'A' && c <= 'Z') || is_digit(c);
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

template <class Pred>
std::size_t run(std::string_view t, std::size_t pos, Pred pred) {
  std::size_t i = pos;
  while (i < t.size() && pred(t[i])) ++i;
  return i - pos;
}

bool at(std::string_view t, std::size_t i, std::string_view lit) {
  return t.substr(i, lit.size()) == lit;
}

// Case-insensitive; `lit` is lowercase.
bool at_nocase(std::string_view t, std::size_t i, std::string_view lit) {
  if (t.size() - i < lit.size()) return false;
  for (std::size_t k = 0; k < lit.size(); ++k)
    if (lower(t[i + k]) != lit[k]) return false;
  return true;
}

bool key_boundary_before(std::string_view t, std::size_t i) {
  return i == 0 || !is_key_char(t[i - 1]);
}

// Random keys mix cases and digits; kebab-case words ("sk-learn-model-selection") do not.
bool looks_random(std::string_view body) {
  for (char c : body)
    if (is_digit(c) || (c >= 'A' && c <= 'Z')) return true;
  return false;
}

using Out = std::vector<SecretSpan>;

std::size_t push(Out& out, std::size_t b, std::size_t e, std::string_view kind, int prio = 1) {
  out.push_back(SecretSpan{b, e, kind, prio});
  return e;
}

// sk-ant-… (Anthropic), sk-… / sk-proj-… (OpenAI).
std::size_t scan_sk(std::string_view t, std::size_t i, Out& out) {
  if (!at(t, i, "sk-") || !key_boundary_before(t, i)) return 0;
  if (at(t, i, "sk-ant-")) {
    std::size_t n = run(t, i + 7, is_key_char);
    if (n >= 20) return push(out, i, i + 7 + n, "anthropic_key", 2);
  }
  std::size_t n = run(t, i + 3, is_key_char);
  if (n >= 20 && looks_random(t.substr(i + 3, n))) return push(out, i, i + 3 + n, "openai_key");
  return 0;
}

// ghp_/gho_/ghu_/ghs_/ghr_ + 36 alphanumerics; github_pat_ + 82 of [A-Za-z0-9_].
std::size_t scan_github(std::string_view t, std::size_t i, Out& out) {
  if (!key_boundary_before(t, i)) return 0;
  if (at(t, i, "github_pat_")) {
    std::size_t n = run(t, i + 11, [](char c) { return is_alnum(c) || c == '_'; });
    return n >= 22 ? push(out, i, i + 11 + n, "github_token") : 0;
  }
  if (t.size() - i < 4 || t[i + 1] != 'h' || t[i + 3] != '_') return 0;
  if (std::string_view("pousr").find(t[i + 2]) == std::string_view::npos) return 0;
  std::size_t n = run(t, i + 4, is_alnum);
  return n >= 30 ? push(out, i, i + 4 + n, "github_token") : 0;
}

// AKIA/ASIA + exactly 16 of [A-Z0-9], not part of a longer word.
std::size_t scan_aws(std::string_view t, std::size_t i, Out& out) {
  if (!at(t, i, "AKIA") && !at(t, i, "ASIA")) return 0;
  if (i > 0 && is_alnum(t[i - 1])) return 0;
  std::size_t n = run(t, i + 4, is_upper_or_digit);
  if (n != 16 || (i + 20 < t.size() && is_alnum(t[i + 20]))) return 0;
  return push(out, i, i + 20, "aws_access_key_id");
}

// -----BEGIN … PRIVATE KEY----- through -----END … PRIVATE KEY-----; without an END (cut
// output) through the end of the text.
// `no_end` is true once a search found no END line after an earlier BEGIN.
std::size_t scan_pem(std::string_view t, std::size_t i, Out& out, bool& no_end) {
  if (!at(t, i, "-----BEGIN ")) return 0;
  std::size_t close = t.substr(0, i + 11 + k_pem_header_max).find("-----", i + 11);
  if (close == std::string_view::npos) return 0;
  std::string_view label = t.substr(i + 11, close - (i + 11));
  if (!label.ends_with("PRIVATE KEY") || label.find('\n') != std::string_view::npos) return 0;
  std::size_t end = no_end ? std::string_view::npos : t.find("-----END ", close + 5);
  no_end = end == std::string_view::npos;
  if (end == std::string_view::npos) return push(out, i, t.size(), "private_key");
  std::size_t tail = t.find("-----", end + 9);
  return push(out, i, tail == std::string_view::npos ? t.size() : tail + 5, "private_key");
}

// The value of an Authorization (or Proxy-Authorization) header, in header, JSON or
// `curl -H` form: up to the end of the line or a quote. The header name stays readable.
std::size_t scan_authorization(std::string_view t, std::size_t i, Out& out) {
  if (!at_nocase(t, i, "authorization") || (i > 0 && is_alpha(t[i - 1]))) return 0;
  std::size_t j = i + 13;
  if (j < t.size() && (t[j] == '"' || t[j] == '\'')) ++j;
  j += run(t, j, [](char c) { return c == ' ' || c == '\t'; });
  if (j >= t.size() || (t[j] != ':' && t[j] != '=')) return 0;
  ++j;
  j += run(t, j, [](char c) { return c == ' ' || c == '\t'; });
  char quote = 0;
  if (j < t.size() && (t[j] == '"' || t[j] == '\'')) quote = t[j++];
  if (at(t, j, k_marker)) return 0;  // already redacted
  std::size_t n = run(t, j, [quote](char c) {
    return c != '\n' && c != '\r' && c != '"' && c != '\'' && c != '\\' && c != quote;
  });
  while (n > 0 && (t[j + n - 1] == ' ' || t[j + n - 1] == '\t')) --n;
  return n > 0 ? push(out, j, j + n, "authorization") : 0;
}

// header.payload.signature, base64url, header and payload JSON objects ("eyJ").
std::size_t scan_jwt(std::string_view t, std::size_t i, Out& out) {
  if (!at(t, i, "eyJ") || !key_boundary_before(t, i) || (i > 0 && t[i - 1] == '.')) return 0;
  std::size_t head = run(t, i, is_key_char);
  std::size_t p = i + head;
  if (head < 10 || p >= t.size() || t[p] != '.' || !at(t, p + 1, "eyJ")) return 0;
  std::size_t payload = run(t, p + 1, is_key_char);
  std::size_t s = p + 1 + payload;
  if (payload < 10 || s >= t.size() || t[s] != '.') return 0;
  return push(out, i, s + 1 + run(t, s + 1, is_key_char), "jwt");
}

}  // namespace

void scan_credentials(std::string_view t, std::vector<SecretSpan>& out) {
  bool no_pem_end = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    switch (t[i]) {
      case 's':
        scan_sk(t, i, out);
        break;
      case 'g':
        scan_github(t, i, out);
        break;
      case 'A':
        if (!scan_aws(t, i, out)) scan_authorization(t, i, out);
        break;
      case 'a':
        scan_authorization(t, i, out);
        break;
      case '-':
        scan_pem(t, i, out, no_pem_end);
        break;
      case 'e':
        scan_jwt(t, i, out);
        break;
      default:
        break;
    }
  }
}

}  // namespace harness::model
