#include "lib/base/assert.hpp"

#include <doctest/doctest.h>

#include <string>

namespace harness {
namespace {

void check_positive(int n) {
  HARNESS_ASSERT(n > 0);
}

TEST_CASE("assertions throw AssertionFailure with file:line inside a RecoverableAsserts scope") {
  RecoverableAsserts scope;
  check_positive(1);
  std::string what;
  try {
    check_positive(0);
  } catch (const AssertionFailure& e) {
    what = e.what();
  }
  CHECK(what.starts_with("assertion failed: n > 0 ("));
  CHECK(what.find("assert_test.cpp:") != std::string::npos);
}

}  // namespace
}  // namespace harness
