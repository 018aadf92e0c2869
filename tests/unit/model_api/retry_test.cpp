#include "lib/model_api/retry.hpp"

#include <doctest/doctest.h>

namespace harness::model_api {
namespace {

TEST_CASE("retry: which statuses and transport errors are retried") {
  for (long s : {408L, 409L, 429L, 500L, 502L, 503L, 529L}) CHECK(is_retryable_status(s));
  for (long s : {200L, 400L, 401L, 403L, 404L, 413L, 422L}) CHECK_FALSE(is_retryable_status(s));
  CHECK(is_retryable_transport(ErrorCode::unavailable));
  CHECK(is_retryable_transport(ErrorCode::timeout));
  CHECK_FALSE(is_retryable_transport(ErrorCode::too_large));
}

TEST_CASE("retry: full-jitter backoff doubles its ceiling and respects the cap") {
  const std::uint64_t top = ~std::uint64_t{0};
  CHECK(backoff_ms(1, 500, 30'000, 0) == 0);
  CHECK(backoff_ms(1, 500, 30'000, 500) == 500);
  CHECK(backoff_ms(1, 500, 30'000, 501) == 0);  // uniform in [0, 500]
  CHECK(backoff_ms(3, 500, 30'000, 2000) == 2000);
  CHECK(backoff_ms(3, 500, 30'000, 2001) == 0);  // ceiling 2000 on the third attempt
  CHECK(backoff_ms(30, 500, 30'000, 30'000) == 30'000);
  CHECK(backoff_ms(30, 500, 30'000, top) <= 30'000);
}

TEST_CASE("retry: retry-after and retry-after-ms headers") {
  http::ClientResponse r;
  CHECK(retry_after_ms(r) == -1);
  r.headers = {{"retry-after", "2"}};
  CHECK(retry_after_ms(r) == 2000);
  r.headers = {{"retry-after", "0.5"}};
  CHECK(retry_after_ms(r) == 500);
  r.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  CHECK(retry_after_ms(r) == -1);
  r.headers = {{"retry-after-ms", "250"}, {"retry-after", "9"}};
  CHECK(retry_after_ms(r) == 250);
}

}  // namespace
}  // namespace harness::model_api
