#pragma once
// Why a unix socket may not be opened, in words a user can act on: which group to join.

#include <string>

namespace harness::client {

// The message for a connect() to `socket_path` refused with EACCES/EPERM: names the group of the
// socket (or of the nearest directory above it that the caller can stat) and how to join it.
std::string socket_access_denied(const std::string& socket_path);

}  // namespace harness::client
