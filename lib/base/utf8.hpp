#pragma once
// UTF-8 checks and repair for bytes from outside (tool output, file names, model bodies, argv):
// text that is not UTF-8 is repaired with U+FFFD before it becomes a JSON string.

#include <cstddef>
#include <string>
#include <string_view>

namespace harness {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF). NUL bytes are valid.
bool valid_utf8(std::string_view s);
// The byte offset of the first ill-formed sequence, or s.size() when there is none.
std::size_t first_invalid_utf8(std::string_view s);
// `s` with every maximal ill-formed subsequence replaced by U+FFFD (the Unicode/WHATWG
// "substitution of maximal subparts"); valid input comes back unchanged.
std::string repair_utf8(std::string_view s);
// Repairs `s` in place; returns whether anything was replaced.
bool repair_utf8_in_place(std::string& s);
// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence in two.
std::string_view utf8_prefix(std::string_view s, std::size_t max);

}  // namespace harness
