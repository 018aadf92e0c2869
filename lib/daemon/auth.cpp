#include "lib/daemon/auth.hpp"

#include "lib/config/sha256.hpp"

namespace harness::daemon {
namespace {
bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}
}  // namespace

const config::TokenGrant* find_token(std::string_view authorization,
                                     const std::vector<config::TokenGrant>& grants) {
  constexpr std::string_view k_prefix = "Bearer ";
  if (authorization.substr(0, k_prefix.size()) != k_prefix) return nullptr;
  std::string_view given = authorization.substr(k_prefix.size());
  if (given.empty()) return nullptr;
  std::string hash = config::sha256_hex(given);
  const config::TokenGrant* found = nullptr;
  for (const auto& g : grants)
    if (equal_constant_time(hash, g.sha256_hex) && !found) found = &g;
  return found;
}

}  // namespace harness::daemon
