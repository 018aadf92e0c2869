#pragma once
// Redaction (SPEC §11, docs/security.md "Redaction"): replaces secrets in text with
// "[REDACTED:KIND]" before anything is written. A Redactor knows four sources: credential-shaped
// strings (secret_scan.hpp), exact secret values (API keys, store passwords), bearer tokens it
// knows only by a predicate (their hashes), and user patterns (ECMAScript regexes). Built once
// at start; const methods are thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lib/base/result.hpp"

namespace harness::model {

class Redactor {
 public:
  // An exact secret value and the KIND it is reported as ("env:ANTHROPIC_API_KEY").
  struct Literal {
    std::string value;
    std::string kind;
  };
  struct Options {
    // Values shorter than k_min_literal bytes are ignored: they would match ordinary text.
    std::vector<Literal> literals;
    // True for a word that is a secret known only by its hash (bearer tokens); words are maximal
    // runs of [A-Za-z0-9-._~+/] with trailing '=', 8 to 512 bytes. Null: none.
    std::function<bool(std::string_view word)> is_secret_word;
    std::string word_kind = "bearer_token";
    // ECMAScript regular expressions, matched within each line; reported as "pattern".
    std::vector<std::string> patterns;
  };
  static constexpr std::size_t k_min_literal = 6;

  // Built-in shapes only.
  Redactor();
  ~Redactor();
  Redactor(Redactor&&) noexcept;
  Redactor& operator=(Redactor&&) noexcept;

  // invalid naming the first pattern that is not a valid regular expression.
  static Result<Redactor> make(Options options);
  // "" when `pattern` compiles, else why not (for config checks).
  static std::string pattern_error(std::string_view pattern);

  // `text` with every secret replaced, or nullopt when there is none. Overlapping secrets are
  // merged into one replacement named after the one that starts first. A user pattern that
  // exhausts the regex engine redacts its whole line.
  std::optional<std::string> redact(std::string_view text) const;
  // Same, always returning the text.
  std::string redacted(std::string text) const;
  // Redacts every string of `j` (values and object keys) in place; true when anything changed.
  bool redact_json(nlohmann::json& j) const;

 private:
  struct Impl;
  std::unique_ptr<const Impl> m_impl;
};

// "scheme://user:secret@host/…" with the password replaced by "***"; other text unchanged.
std::string url_without_password(std::string_view url);
// The password of "scheme://user:secret@host/…", or "" when there is none.
std::string url_password(std::string_view url);

}  // namespace harness::model
