#pragma once
// Bearer tokens for TCP callers.

#include <string_view>
#include <vector>

#include "lib/config/config.hpp"

namespace harness::daemon {

// The grant whose token `authorization` ("Bearer T", the scheme in any case) carries, or null. Only
// SHA-256 hashes are kept; every grant is compared in constant time, so timing does not leak how
// much matched.
const config::TokenGrant* find_token(std::string_view authorization,
                                     const std::vector<config::TokenGrant>& grants);

}  // namespace harness::daemon
