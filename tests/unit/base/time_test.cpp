#include <doctest/doctest.h>

#include "lib/base/base64.hpp"
#include "lib/base/ids.hpp"
#include "lib/base/time.hpp"

using namespace harness;

TEST_CASE("durations parse like the CLI documents") {
  CHECK(*parse_duration_ms("90s") == 90'000);
  CHECK(*parse_duration_ms("5m") == 300'000);
  CHECK(*parse_duration_ms("1h") == 3'600'000);
  CHECK(*parse_duration_ms("1h30m") == 5'400'000);
  CHECK(*parse_duration_ms("250ms") == 250);
  CHECK(*parse_duration_ms("30") == 30'000);
  CHECK_FALSE(parse_duration_ms("").has_value());
  CHECK_FALSE(parse_duration_ms("5x").has_value());
  CHECK_FALSE(parse_duration_ms("-5s").has_value());
  CHECK(parse_duration_ms("abc").error().message.find("abc") != std::string::npos);
}

TEST_CASE("timestamps round-trip through RFC 3339") {
  TimeMs t = 1'795'000'123'456;
  std::string s = format_rfc3339(t);
  CHECK(s.back() == 'Z');
  CHECK(*parse_rfc3339(s) == t);
  CHECK(*parse_rfc3339("1970-01-01T00:00:01Z") == 1000);
  CHECK_FALSE(parse_rfc3339("yesterday").has_value());
}

TEST_CASE("ids are prefixed, valid and sort in creation order") {
  std::string prev = new_id("lf_");
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_id("lf_");
    CHECK(is_valid_id(id, "lf_"));
    CHECK(id > prev);
    prev = id;
  }
  CHECK_FALSE(is_valid_id("lf_short", "lf_"));
  CHECK_FALSE(is_valid_id(new_id("ses_"), "lf_"));
}

TEST_CASE("base64 round-trips binary and rejects junk") {
  std::string bin("\0\x01\xff\xfe hello\n", 11);
  for (size_t n = 0; n <= bin.size(); ++n) {
    auto sub = bin.substr(0, n);
    CHECK(*base64_decode(base64_encode(sub)) == sub);
  }
  CHECK(*base64_decode("aGVs\nbG8=\n") == "hello");
  CHECK_FALSE(base64_decode("a$b").has_value());
}

TEST_CASE("error codes map to HTTP statuses and back") {
  for (auto c :
       {ErrorCode::bad_request, ErrorCode::unauthorized, ErrorCode::forbidden, ErrorCode::not_found,
        ErrorCode::conflict, ErrorCode::too_large, ErrorCode::invalid, ErrorCode::unavailable,
        ErrorCode::timeout, ErrorCode::internal})
    CHECK(error_code_from_status(http_status(c)) == c);
  CHECK(error_code_from_status(502) == ErrorCode::unavailable);
  CHECK(error_code_from_status(418) == ErrorCode::internal);
}
