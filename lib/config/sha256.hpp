#pragma once
// SHA-256 and HMAC-SHA256 live in lib/base/sha256.hpp (the sandbox names the helper it copies
// into containers by its hash); config and the layers above keep their names for them here.

#include "lib/base/sha256.hpp"

namespace harness::config {

using harness::hmac_sha256;
using harness::hmac_sha256_hex;
using harness::sha256;
using harness::sha256_hex;
using harness::to_hex;

}  // namespace harness::config
