#pragma once
// Where harnessctl finds harnessd: a unix socket path, or a base URL with a bearer token.

#include <functional>
#include <optional>
#include <string>

namespace harness::client {

struct Endpoint {
  std::string socket_path;  // set for a unix socket; requests go to http://localhost/v1/...
  std::string base_url;     // set for TCP, e.g. "http://127.0.0.1:7070" (no trailing slash)
  std::string token;        // bearer token for base_url ($HARNESS_TOKEN); may be empty

  // "/run/harness/harnessd.sock" or the URL: for messages.
  std::string describe() const;
};

// Looks up an environment variable; nullopt when unset. A seam so tests control the environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
// The real process environment (empty values count as unset).
EnvLookup process_env();

// Discovery order: --socket, $HARNESS_SOCKET, --url, $HARNESS_URL, then
// $XDG_RUNTIME_DIR/harness/harnessd.sock if that file exists, else /run/harness/harnessd.sock.
// The token always comes from $HARNESS_TOKEN.
Endpoint discover_endpoint(const std::string& socket_flag, const std::string& url_flag,
                           const EnvLookup& env);

}  // namespace harness::client
