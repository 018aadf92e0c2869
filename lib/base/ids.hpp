#pragma once
// Sortable unique ids: prefix + 26-char Crockford base32 ULID (48-bit ms time + 80 random bits).

#include <string>
#include <string_view>

namespace harness {

// A new id such as "lf_01JD3...". Ids made later in the same process sort after earlier ones.
// Thread-safe.
std::string new_id(std::string_view prefix);
// True when `id` is prefix + 26 Crockford base32 characters.
bool is_valid_id(std::string_view id, std::string_view prefix);

}  // namespace harness
