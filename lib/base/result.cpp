#include "lib/base/result.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace harness {
namespace {
struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  int status;
};
constexpr std::array<CodeInfo, 10> k_codes{{
    {ErrorCode::bad_request, "bad_request", 400},
    {ErrorCode::unauthorized, "unauthorized", 401},
    {ErrorCode::forbidden, "forbidden", 403},
    {ErrorCode::not_found, "not_found", 404},
    {ErrorCode::conflict, "conflict", 409},
    {ErrorCode::too_large, "too_large", 413},
    {ErrorCode::invalid, "invalid", 422},
    {ErrorCode::unavailable, "unavailable", 503},
    {ErrorCode::timeout, "timeout", 504},
    {ErrorCode::internal, "internal", 500},
}};
}  // namespace

std::string_view to_string(ErrorCode code) {
  for (const auto& c : k_codes)
    if (c.code == code) return c.name;
  return "internal";
}

ErrorCode error_code_from_string(std::string_view s) {
  for (const auto& c : k_codes)
    if (c.name == s) return c.code;
  return ErrorCode::internal;
}

int http_status(ErrorCode code) {
  for (const auto& c : k_codes)
    if (c.code == code) return c.status;
  return 500;
}

ErrorCode error_code_from_status(long status) {
  if (status == 502) return ErrorCode::unavailable;
  for (const auto& c : k_codes)
    if (c.status == status) return c.code;
  return ErrorCode::internal;
}

namespace {
thread_local int t_recoverable_asserts = 0;
}  // namespace

RecoverableAsserts::RecoverableAsserts() {
  ++t_recoverable_asserts;
}

RecoverableAsserts::~RecoverableAsserts() {
  --t_recoverable_asserts;
}

namespace detail {
void assert_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
  if (t_recoverable_asserts > 0)
    throw AssertionFailure(std::string("assertion failed: ") + expr + " (" + file + ":" +
                           std::to_string(line) + ")");
  std::abort();
}
}  // namespace detail
}  // namespace harness
