#pragma once
// SHA-256 (FIPS 180-4), for storing and comparing bearer tokens without keeping them in clear.
// Small and unoptimised: it hashes a few short strings per request.

#include <string>
#include <string_view>

namespace harness::config {

// The SHA-256 digest of `data` as 64 lowercase hex characters.
std::string sha256_hex(std::string_view data);

}  // namespace harness::config
