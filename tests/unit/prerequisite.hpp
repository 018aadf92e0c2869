#pragma once
// Tests that need something of the machine (bwrap, busybox, root...) skip when it is missing —
// except in CI mode (CI=true, or HARNESS_REQUIRE_SANDBOX=1), where a missing prerequisite fails
// the test: CI must never pass by silently testing less. Use SKIP_UNLESS, never a bare return.

#include <doctest/doctest.h>

#include <cstdlib>
#include <initializer_list>
#include <string_view>

namespace harness::prereq {

// True when a missing prerequisite must fail the tests that need it (.ci/run exports CI=true).
inline bool ci_mode() {
  auto is = [](const char* name, std::initializer_list<std::string_view> values) {
    const char* v = std::getenv(name);
    if (!v) return false;
    for (std::string_view want : values)
      if (want == v) return true;
    return false;
  };
  return is("CI", {"true", "1", "yes"}) || is("HARNESS_REQUIRE_SANDBOX", {"1"});
}

}  // namespace harness::prereq

// Skips the rest of the test (a MESSAGE says why) when `available` is false; in CI mode fails it.
#define SKIP_UNLESS(available, why)                                                     \
  do {                                                                                  \
    if (!(available)) {                                                                 \
      if (::harness::prereq::ci_mode())                                                 \
        FAIL("missing prerequisite (CI=true or HARNESS_REQUIRE_SANDBOX=1): " << (why)); \
      MESSAGE("skipped: " << (why));                                                    \
      return;                                                                           \
    }                                                                                   \
  } while (0)
