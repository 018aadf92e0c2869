#include "lib/base/utf8.hpp"

#include <doctest/doctest.h>

using namespace harness;

namespace {
const std::string k_fffd = "\xEF\xBF\xBD";
}

TEST_CASE("utf8: well-formed text is valid, including NUL and 4-byte sequences") {
  CHECK(valid_utf8(""));
  CHECK(valid_utf8("plain ascii"));
  CHECK(valid_utf8(std::string("a\0b", 3)));
  CHECK(valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  CHECK(valid_utf8("\xF4\x8F\xBF\xBF"));                            // U+10FFFF
}

TEST_CASE("utf8: ill-formed sequences are found at their first byte") {
  for (const char* bad : {"\xFF", "\xFE", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80",
                          "\xED\xA0\x80",      // a surrogate
                          "\xF4\x90\x80\x80",  // past U+10FFFF
                          "\xF5\x80\x80\x80", "\x80", "\xC3", "\xE2\x82", "\xF0\x9F\x98"}) {
    CHECK_MESSAGE(!valid_utf8(bad), bad);
  }
  CHECK(first_invalid_utf8("ok\xFFok") == 2);
  CHECK(first_invalid_utf8("ok") == 2);
}

TEST_CASE("utf8: repair replaces each maximal ill-formed subpart by one U+FFFD") {
  CHECK(repair_utf8("ok") == "ok");
  CHECK(repair_utf8("\xFF\xFE") == k_fffd + k_fffd);
  CHECK(repair_utf8("a\xFF"
                    "b") == "a" + k_fffd + "b");
  // A truncated 3-byte sequence is one subpart; the byte after it is kept.
  CHECK(repair_utf8("\xE2\x82"
                    "A") == k_fffd + "A");
  // Overlong and surrogate lead bytes: every byte is its own subpart.
  CHECK(repair_utf8("\xC0\x80") == k_fffd + k_fffd);
  CHECK(repair_utf8("\xED\xA0\x80") == k_fffd + k_fffd + k_fffd);
  CHECK(repair_utf8("end\xF0\x9F\x98") == "end" + k_fffd);
  CHECK(valid_utf8(repair_utf8("\x80\xBF\xC3\x28\xF8\x88\x80\x80\x80")));
  std::string s = "x\xFF";
  CHECK(repair_utf8_in_place(s));
  CHECK(s == "x" + k_fffd);
  CHECK_FALSE(repair_utf8_in_place(s));
}

TEST_CASE("utf8: a prefix never cuts a sequence in two") {
  std::string euro = "ab\xE2\x82\xAC";
  CHECK(utf8_prefix(euro, 10) == euro);
  CHECK(utf8_prefix(euro, 5) == euro);
  CHECK(utf8_prefix(euro, 4) == "ab");
  CHECK(utf8_prefix(euro, 3) == "ab");
  CHECK(utf8_prefix(euro, 2) == "ab");
  CHECK(utf8_prefix("\x80\x80\x80\x80\x80", 4).size() <= 4);
}
