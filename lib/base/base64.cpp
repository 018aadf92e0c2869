#include "lib/base/base64.hpp"

#include <array>
#include <cstdint>

namespace harness {
namespace {
constexpr std::string_view k_chars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (size_t i = 0; i < k_chars.size(); ++i)
    t[static_cast<unsigned char>(k_chars[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto k_table = make_table();
}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                      (static_cast<unsigned char>(in[i + 1]) << 8) |
                      static_cast<unsigned char>(in[i + 2]);
    out += k_chars[(v >> 18) & 63];
    out += k_chars[(v >> 12) & 63];
    out += k_chars[(v >> 6) & 63];
    out += k_chars[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += k_chars[(v >> 18) & 63];
    out += k_chars[(v >> 12) & 63];
    out += i + 1 < in.size() ? k_chars[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    std::int8_t v = k_table[static_cast<unsigned char>(c)];
    if (v < 0 || padding) return make_error(ErrorCode::bad_request, "invalid base64 data");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace harness
