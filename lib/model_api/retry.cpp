#include "lib/model_api/retry.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace harness::model_api {
namespace {

// A non-negative decimal number, or -1.
double parse_number(const std::string& s) {
  if (s.empty()) return -1;
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || *end != '\0' || !std::isfinite(v) || v < 0) return -1;
  return v;
}

}  // namespace

bool is_retryable_status(long status) {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

bool is_retryable_transport(ErrorCode code) {
  return code == ErrorCode::unavailable || code == ErrorCode::timeout;
}

std::int64_t backoff_ms(int attempt, std::int64_t base_ms, std::int64_t max_ms,
                        std::uint64_t random) {
  std::int64_t cap = std::max<std::int64_t>(max_ms, 0);
  std::int64_t ceiling = std::max<std::int64_t>(base_ms, 0);
  for (int i = 1; i < attempt && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  return static_cast<std::int64_t>(random % (static_cast<std::uint64_t>(ceiling) + 1));
}

std::int64_t retry_after_ms(const http::ClientResponse& response) {
  if (double ms = parse_number(response.header("retry-after-ms")); ms >= 0)
    return static_cast<std::int64_t>(ms);
  if (double s = parse_number(response.header("retry-after")); s >= 0)
    return static_cast<std::int64_t>(s * 1000);
  return -1;
}

}  // namespace harness::model_api
