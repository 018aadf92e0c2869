#pragma once
// Bearer tokens for TCP callers.

#include <string>
#include <string_view>
#include <vector>

namespace harness::daemon {

// True when `authorization` is "Bearer T" and SHA-256(T) is one of `token_hashes` (lowercase
// hex). Compares in constant time, so response timing does not leak how much matched.
bool token_allowed(std::string_view authorization, const std::vector<std::string>& token_hashes);

}  // namespace harness::daemon
