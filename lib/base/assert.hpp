#pragma once
// Assertions for bugs: always on, including release builds; print file:line and abort.

namespace harness::detail {
[[noreturn]] void assert_failed(const char* expr, const char* file, int line);
}

#define HARNESS_ASSERT(expr) \
  ((expr) ? (void)0 : ::harness::detail::assert_failed(#expr, __FILE__, __LINE__))
