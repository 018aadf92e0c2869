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

bool token_allowed(std::string_view authorization, const std::vector<std::string>& tokens) {
  constexpr std::string_view k_prefix = "Bearer ";
  if (authorization.substr(0, k_prefix.size()) != k_prefix) return false;
  std::string_view given = authorization.substr(k_prefix.size());
  if (given.empty()) return false;
  // Only hashes are kept in memory; compare the caller's hash against each.
  std::string hash = config::sha256_hex(given);
  bool ok = false;
  for (const auto& t : tokens) ok |= equal_constant_time(hash, t);
  return ok;
}

}  // namespace harness::daemon
