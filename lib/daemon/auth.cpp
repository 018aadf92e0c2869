#include "lib/daemon/auth.hpp"

#include <cctype>

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

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// The credentials of "Bearer T": the scheme is case-insensitive (RFC 7235 §2.1) and may be
// followed by more than one space; "" when the header is not a bearer credential.
std::string_view bearer_credentials(std::string_view authorization) {
  constexpr std::string_view k_scheme = "bearer";
  if (authorization.size() <= k_scheme.size()) return {};
  for (size_t i = 0; i < k_scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != k_scheme[i]) return {};
  std::string_view rest = authorization.substr(k_scheme.size());
  if (!is_space(rest.front())) return {};
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
  return rest;
}
}  // namespace

const config::TokenGrant* find_token(std::string_view authorization,
                                     const std::vector<config::TokenGrant>& grants) {
  std::string_view given = bearer_credentials(authorization);
  if (given.empty()) return nullptr;
  std::string hash = config::sha256_hex(given);
  const config::TokenGrant* found = nullptr;
  for (const auto& g : grants)
    if (equal_constant_time(hash, g.sha256_hex) && !found) found = &g;
  return found;
}

}  // namespace harness::daemon
