#pragma once
// Retry policy for model calls: which failures are retried and how long to wait. Pure functions.

#include <cstdint>

#include "lib/base/result.hpp"
#include "lib/http/client.hpp"

namespace harness::model_api {

// 408, 409, 429, every 5xx (incl. Anthropic's 529 overloaded).
bool is_retryable_status(long status);
// Transport failures worth another attempt: unavailable (refused, reset) and timeout.
bool is_retryable_transport(ErrorCode code);

// Exponential backoff with full jitter: uniform in [0, min(max_ms, base_ms * 2^(attempt-1))],
// drawn from `random` (any 64-bit value). `attempt` is the 1-based attempt that just failed.
std::int64_t backoff_ms(int attempt, std::int64_t base_ms, std::int64_t max_ms,
                        std::uint64_t random);

// The server's requested delay in ms from `retry-after-ms` or `retry-after` (seconds, possibly
// fractional); -1 when absent or not a number (HTTP dates are ignored).
std::int64_t retry_after_ms(const http::ClientResponse& response);

}  // namespace harness::model_api
