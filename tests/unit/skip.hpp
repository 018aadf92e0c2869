#pragma once
// Skipping a test whose prerequisite is missing (root, bwrap, an account). On a developer's
// machine that is a skip with a message; in CI (CI=true or CI=1), where every prerequisite is
// installed on purpose, it is a failure: a test that silently never runs cannot fail.

#include <doctest/doctest.h>

#include <cstdlib>
#include <string_view>

namespace harness::test_env {

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string_view(ci) == "true" || std::string_view(ci) == "1");
}

}  // namespace harness::test_env

// Ends the test case: a failure under CI=true, else a "skipped: WHY" message. WHY is a literal.
#define HARNESS_SKIP_TEST(why)                                               \
  do {                                                                       \
    if (::harness::test_env::in_ci()) FAIL("CI=true, so not skipped: " why); \
    MESSAGE("skipped: " why);                                                \
    return;                                                                  \
  } while (0)
