#include "tests/unit/prerequisite.hpp"

#include <cstdlib>
#include <optional>
#include <string>

namespace {

// Sets or unsets a variable for the scope, restoring what was there.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const char* value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value)
      setenv(name.c_str(), value, 1);
    else
      unsetenv(name.c_str());
  }
  ~ScopedEnv() {
    if (old)
      setenv(name.c_str(), old->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};

}  // namespace

TEST_CASE("prerequisite: CI=true or HARNESS_REQUIRE_SANDBOX=1 turn skips into failures") {
  using harness::prereq::ci_mode;
  ScopedEnv ci("CI", nullptr), req("HARNESS_REQUIRE_SANDBOX", nullptr);
  CHECK_FALSE(ci_mode());
  {
    ScopedEnv on("CI", "true");
    CHECK(ci_mode());
  }
  {
    ScopedEnv off("CI", "false");
    CHECK_FALSE(ci_mode());
  }
  {
    ScopedEnv on("HARNESS_REQUIRE_SANDBOX", "1");
    CHECK(ci_mode());
  }
}

// Without CI mode a missing prerequisite skips: the test ends here and passes.
TEST_CASE("prerequisite: SKIP_UNLESS ends the test when the prerequisite is missing") {
  ScopedEnv ci("CI", nullptr), req("HARNESS_REQUIRE_SANDBOX", nullptr);
  bool reached = false;
  [&] {
    SKIP_UNLESS(false, "a machine without the thing");
    reached = true;
  }();
  CHECK_FALSE(reached);
}

// In CI mode the same line fails the test.
TEST_CASE("prerequisite: SKIP_UNLESS fails in CI mode" * doctest::should_fail()) {
  ScopedEnv ci("CI", "true");
  SKIP_UNLESS(false, "a machine without the thing");
}
