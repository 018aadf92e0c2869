#include "lib/client/endpoint.hpp"

#include <sys/stat.h>

#include <cstdlib>

namespace harness::client {

std::string Endpoint::describe() const {
  return socket_path.empty() ? base_url : socket_path;
}

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

namespace {
std::string strip_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}
}  // namespace

Endpoint discover_endpoint(const std::string& socket_flag, const std::string& url_flag,
                           const EnvLookup& env) {
  Endpoint ep;
  ep.token = env("HARNESS_TOKEN").value_or("");
  if (!socket_flag.empty()) {
    ep.socket_path = socket_flag;
  } else if (auto s = env("HARNESS_SOCKET")) {
    ep.socket_path = *s;
  } else if (!url_flag.empty()) {
    ep.base_url = strip_trailing_slashes(url_flag);
  } else if (auto u = env("HARNESS_URL")) {
    ep.base_url = strip_trailing_slashes(*u);
  } else if (auto xdg = env("XDG_RUNTIME_DIR"); xdg && exists(*xdg + "/harness/harnessd.sock")) {
    ep.socket_path = *xdg + "/harness/harnessd.sock";
  } else {
    ep.socket_path = "/run/harness/harnessd.sock";
  }
  return ep;
}

}  // namespace harness::client
