#pragma once
// SHA-256 (FIPS 180-4), for storing and comparing bearer tokens without keeping them in clear;
// HMAC-SHA256 (RFC 2104) for signing approver notifications, and naming the harness-exec copied
// into containers (hashed once per daemon). Small and unoptimised.

#include <string>
#include <string_view>

namespace harness {

// The SHA-256 digest of `data` as 64 lowercase hex characters.
std::string sha256_hex(std::string_view data);
// The SHA-256 digest of `data`: 32 raw bytes.
std::string sha256(std::string_view data);
// HMAC-SHA256 (RFC 2104) of `message` under `key`: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view message);
// The same as 64 lowercase hex characters.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
// `bytes` as lowercase hex, two characters per byte.
std::string to_hex(std::string_view bytes);

}  // namespace harness
