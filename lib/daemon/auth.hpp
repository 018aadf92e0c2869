#pragma once
// Bearer tokens for TCP callers.

#include <string>
#include <string_view>
#include <vector>

namespace harness::daemon {

// True when `authorization` is "Bearer T" and T is one of `tokens`. Compares in constant time
// for equal lengths, so response timing does not leak how much of a token matched.
bool token_allowed(std::string_view authorization, const std::vector<std::string>& tokens);

}  // namespace harness::daemon
