#include "lib/base/ids.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <random>

#include "lib/base/time.hpp"

namespace harness {
namespace {
constexpr std::string_view k_alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// Monotonic within a millisecond: the random part is incremented instead of redrawn, as the
// ULID spec suggests, so ids from one process always sort in creation order.
struct Generator {
  std::mutex mu;
  std::mt19937_64 rng{std::random_device{}()};
  std::int64_t last_ms = -1;
  std::uint64_t hi = 0;  // top 16 bits of randomness
  std::uint64_t lo = 0;  // low 64 bits of randomness
};

Generator& generator() {
  static Generator g;
  return g;
}
}  // namespace

std::string new_id(std::string_view prefix) {
  Generator& g = generator();
  std::int64_t ms;
  std::uint64_t hi, lo;
  {
    std::lock_guard lock(g.mu);
    ms = now_ms();
    if (ms <= g.last_ms) {
      ms = g.last_ms;
      if (++g.lo == 0) ++g.hi;
    } else {
      g.last_ms = ms;
      g.hi = g.rng() & 0xFFFF;
      g.lo = g.rng() >> 1;  // leave headroom for increments
    }
    hi = g.hi;
    lo = g.lo;
  }
  // 128 bits: 48 time | 16 hi | 64 lo, written as 26 base32 digits (130 bits, top 2 zero).
  std::array<char, 26> out{};
  unsigned __int128 v = (static_cast<unsigned __int128>(static_cast<std::uint64_t>(ms)) << 80) |
                        (static_cast<unsigned __int128>(hi) << 64) | lo;
  for (int i = 25; i >= 0; --i) {
    out[static_cast<size_t>(i)] = k_alphabet[static_cast<size_t>(v & 31)];
    v >>= 5;
  }
  std::string id(prefix);
  id.append(out.data(), out.size());
  return id;
}

bool is_valid_id(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + 26 || id.substr(0, prefix.size()) != prefix) return false;
  for (char c : id.substr(prefix.size()))
    if (k_alphabet.find(c) == std::string_view::npos) return false;
  return true;
}

}  // namespace harness
