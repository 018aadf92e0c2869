#pragma once
// Result<T>: a value or an Error, with std::expected's member names (GCC 12 lacks it in C++20).
// Expected failures return Result; bugs are assertions (lib/base/assert.hpp).

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "lib/base/assert.hpp"

namespace harness {

// The closed set of conditions code branches on. Each maps 1:1 to an API error code string,
// an HTTP status and a harnessctl exit code.
enum class ErrorCode {
  bad_request,   // 400 malformed input (bad JSON, wrong type)
  unauthorized,  // 401 no or bad credentials
  forbidden,     // 403 authenticated but not allowed
  not_found,     // 404 no such leaf / session / route
  conflict,      // 409 wrong state (already terminal, gate not open)
  too_large,     // 413 body or file over its cap
  invalid,       // 422 well-formed but invalid (unknown model profile, missing workdir)
  unavailable,   // 503 store unreachable, not ready, daemon unreachable
  timeout,       // 504 an operation's deadline elapsed
  internal,      // 500 a bug or an unexpected system error
};

// "bad_request", "not_found", ... (the API's error.code strings).
std::string_view to_string(ErrorCode code);
// Parses an API error.code string; unknown strings map to internal.
ErrorCode error_code_from_string(std::string_view s);
// The HTTP status for an error code.
int http_status(ErrorCode code);
// The inverse, for answers of our own API: the code whose status this is (502 counts as
// unavailable); internal for anything else.
ErrorCode error_code_from_status(long status);

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    HARNESS_ASSERT(has_value());
    return std::get<0>(m_v);
  }
  const T& value() const& {
    HARNESS_ASSERT(has_value());
    return std::get<0>(m_v);
  }
  T&& value() && {
    HARNESS_ASSERT(has_value());
    return std::get<0>(std::move(m_v));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    HARNESS_ASSERT(!has_value());
    return std::get<1>(m_v);
  }
  template <class U>
  T value_or(U&& fallback) const {
    return has_value() ? std::get<0>(m_v) : T(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : m_error(std::move(error)), m_failed(true) {}  // NOLINT

  bool has_value() const { return !m_failed; }
  explicit operator bool() const { return has_value(); }
  void value() const { HARNESS_ASSERT(has_value()); }
  const Error& error() const {
    HARNESS_ASSERT(m_failed);
    return m_error;
  }

 private:
  Error m_error;
  bool m_failed = false;
};

using Status = Result<void>;

}  // namespace harness

#define HARNESS_CONCAT_INNER(a, b) a##b
#define HARNESS_CONCAT(a, b) HARNESS_CONCAT_INNER(a, b)

// Returns the error of `expr` (a Result) from the enclosing function, if it failed.
#define HARNESS_TRY(expr)                               \
  do {                                                  \
    auto&& harness_try_r_ = (expr);                     \
    if (!harness_try_r_) return harness_try_r_.error(); \
  } while (0)

// `HARNESS_TRY_ASSIGN(auto x, parse(s));` declares x from the value, or returns the error.
#define HARNESS_TRY_ASSIGN(decl, expr)                     \
  auto HARNESS_CONCAT(harness_try_, __LINE__) = (expr);    \
  if (!HARNESS_CONCAT(harness_try_, __LINE__))             \
    return HARNESS_CONCAT(harness_try_, __LINE__).error(); \
  decl = std::move(*HARNESS_CONCAT(harness_try_, __LINE__))
