#pragma once
// Finds credential-shaped strings in text (docs/security.md "Redaction"): Anthropic and OpenAI
// API keys, GitHub tokens, AWS access key ids, PEM private key blocks, the values of
// Authorization headers and JWTs. One hand-written pass over the bytes, no regular
// expressions; bytes that are not ASCII (valid UTF-8 or not) never belong to a match, so a
// span never splits a multi-byte character. Pure; thread-safe.

#include <cstddef>
#include <string_view>
#include <vector>

namespace harness::model {

// [begin, end) of one secret in the scanned text and what it looked like ("anthropic_key").
struct SecretSpan {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string_view kind;  // static storage
  int priority = 0;       // among spans starting at the same byte, the higher one names the kind
};

// Appends the spans of every credential-shaped string in `text` to `out` (in text order; they
// may overlap).
void scan_credentials(std::string_view text, std::vector<SecretSpan>& out);

}  // namespace harness::model
