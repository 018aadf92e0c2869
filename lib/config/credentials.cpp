#include "lib/config/credentials.hpp"

#include <stdlib.h>

#include "lib/base/fs.hpp"

namespace harness::config {
namespace {

constexpr size_t k_max_key_bytes = 64 << 10;

}  // namespace

Result<std::map<std::string, std::string>> find_credentials(const Config& cfg,
                                                            const Environment& env) {
  std::map<std::string, std::string> out;
  std::string dir = env.get("CREDENTIALS_DIRECTORY");
  if (dir.empty()) return out;
  for (const auto& [name, profile] : cfg.models) {
    // api_key_env is checked to be [A-Za-z0-9_]+, so it is a plain file name.
    const std::string& var = profile.api_key_env;
    if (var.empty() || !env.get(var).empty() || out.count(var)) continue;
    std::string path = dir + "/" + var;
    auto text = read_file(path, k_max_key_bytes + 1);
    if (!text && text.error().code == ErrorCode::not_found) continue;
    if (!text)
      return make_error(ErrorCode::invalid, "credential for [models." + name +
                                                "] api_key_env: " + text.error().message);
    if (text->size() > k_max_key_bytes)
      return make_error(ErrorCode::invalid, "credential " + path + " is over 64 KiB");
    std::string key = std::move(*text);
    while (!key.empty() &&
           (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t'))
      key.pop_back();
    if (!key.empty()) out.emplace(var, std::move(key));
  }
  return out;
}

Result<std::vector<std::string>> import_credentials(const Config& cfg) {
  HARNESS_TRY_ASSIGN(auto found, find_credentials(cfg, Environment::from_process()));
  std::vector<std::string> names;
  for (const auto& [var, key] : found) {
    ::setenv(var.c_str(), key.c_str(), 1);
    names.push_back(var);
  }
  return names;
}

}  // namespace harness::config
