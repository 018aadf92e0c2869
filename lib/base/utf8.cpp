#include "lib/base/utf8.hpp"

namespace harness {
namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";

// The length of the well-formed sequence starting at s[i], or 0 when the bytes there are
// ill-formed; then `bad` is the length of the maximal subpart to replace (at least 1).
// Ranges per byte follow Unicode table 3-7.
std::size_t sequence_at(std::string_view s, std::size_t i, std::size_t& bad) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  bad = 1;
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) return 0;
    unsigned char b = byte(i + k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return 0;
    bad = k + 1;
  }
  return len;
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t i = 0, bad = 0;
  while (i < s.size()) {
    // Runs of ASCII are the common case.
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = sequence_at(s, i, bad);
    if (n == 0) return i;
    i += n;
  }
  return s.size();
}

bool valid_utf8(std::string_view s) {
  return first_invalid_utf8(s) == s.size();
}

std::string repair_utf8(std::string_view s) {
  std::size_t i = first_invalid_utf8(s);
  if (i == s.size()) return std::string(s);
  std::string out(s.substr(0, i));
  out.reserve(s.size() + 16);
  while (i < s.size()) {
    std::size_t bad = 0;
    std::size_t n = sequence_at(s, i, bad);
    if (n == 0) {
      out += k_replacement;
      i += bad;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

bool repair_utf8_in_place(std::string& s) {
  if (valid_utf8(s)) return false;
  s = repair_utf8(s);
  return true;
}

std::string_view utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  // Step back over continuation bytes to the start of the sequence that would be cut.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80 && max - end < 3) --end;
  return s.substr(0, end);
}

}  // namespace harness
