#pragma once
// Helpers shared by the fuzz targets. Everything is derived from the input bytes alone, so any
// crash reproduces by running the target on the saved input.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace harness::fuzz {

// `data` cut into pieces of 1..64 bytes whose sizes come from a PRNG seeded by the data (FNV-1a),
// to drive incremental parsers the way reads from a socket or a pipe would.
inline std::vector<std::string_view> pieces(std::string_view data) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  std::vector<std::string_view> out;
  while (!data.empty()) {
    h = h * 6364136223846793005ull + 1442695040888963407ull;
    std::size_t n = 1 + static_cast<std::size_t>((h >> 33) % 64);
    if (n > data.size()) n = data.size();
    out.push_back(data.substr(0, n));
    data.remove_prefix(n);
  }
  return out;
}

// Splits "HEAD<sep>REST" at the first `sep`; HEAD is "" and REST all of `data` when it is absent.
inline std::pair<std::string_view, std::string_view> split_first(std::string_view data, char sep) {
  auto at = data.find(sep);
  if (at == std::string_view::npos) return {std::string_view(), data};
  return {data.substr(0, at), data.substr(at + 1)};
}

// Aborts (a crash libFuzzer reports, with the input saved) when a property does not hold.
#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

}  // namespace harness::fuzz
