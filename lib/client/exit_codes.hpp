#pragma once
// harnessctl's exit codes (SPEC §9) and the one table mapping leaf outcomes and API errors to
// them. harnessctl(1) documents the same table under EXIT STATUS.

#include <string_view>

#include "lib/base/result.hpp"

namespace harness::client {

namespace exit_code {
inline constexpr int succeeded = 0;
inline constexpr int error = 1;         // unexpected harnessctl error; API conflict/internal
inline constexpr int usage = 2;         // bad flag or argument; API bad_request/invalid/too_large
inline constexpr int failed = 3;        // leaf failed (model, sandbox, internal, interrupted)
inline constexpr int unauthorized = 4;  // API unauthorized/forbidden
inline constexpr int rejected = 5;
inline constexpr int cancelled = 6;
inline constexpr int limit = 7;          // leaf failed on max_turns/max_duration/inactivity/budget
inline constexpr int timeout = 8;        // the wait's --timeout elapsed; leaf not terminal
inline constexpr int not_found = 9;      // no such leaf / session
inline constexpr int unavailable = 10;   // daemon unreachable or not ready (safe to retry)
inline constexpr int interrupted = 130;  // Ctrl-C; the leaf keeps running
}  // namespace exit_code

// The wait code for a leaf in `state` with `reason`: 0/3/5/6/7 for terminal states, 8 for any
// non-terminal state, 1 for a state string harnessctl does not know.
int exit_code_for_leaf(std::string_view state, std::string_view reason);
// The exit code for an error from the API or from harnessctl itself.
int exit_code_for_error(ErrorCode code);

}  // namespace harness::client
