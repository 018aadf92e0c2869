#pragma once
// Assertions for bugs: always on, including release builds; print file:line and abort — unless
// a RecoverableAsserts scope is open on this thread, where they throw AssertionFailure so that
// the one unit of work that broke its invariant (a leaf) ends instead of the whole process.

#include <stdexcept>

namespace harness {

// What a failed HARNESS_ASSERT throws inside a RecoverableAsserts scope: "assertion failed:
// EXPR (FILE:LINE)".
class AssertionFailure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// While one is alive on this thread, failed assertions throw instead of aborting. Opened only
// by code that catches everything and contains the damage (lib/agent's continuation guard).
class RecoverableAsserts {
 public:
  RecoverableAsserts();
  ~RecoverableAsserts();
  RecoverableAsserts(const RecoverableAsserts&) = delete;
  RecoverableAsserts& operator=(const RecoverableAsserts&) = delete;
};

namespace detail {
[[noreturn]] void assert_failed(const char* expr, const char* file, int line);
}
}  // namespace harness

#define HARNESS_ASSERT(expr) \
  ((expr) ? (void)0 : ::harness::detail::assert_failed(#expr, __FILE__, __LINE__))
