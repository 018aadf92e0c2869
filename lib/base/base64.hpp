#pragma once
// Standard base64 (RFC 4648, with padding).

#include <string>
#include <string_view>

#include "lib/base/result.hpp"

namespace harness {

std::string base64_encode(std::string_view bytes);
// Ignores ASCII whitespace (so line-wrapped `base64` output decodes); bad_request on other junk.
Result<std::string> base64_decode(std::string_view text);

}  // namespace harness
