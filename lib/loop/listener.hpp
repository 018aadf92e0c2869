#pragma once
// Creating listening unix sockets safely. Blocking syscalls on the local filesystem: call at
// startup (before or outside the loop's hot path).

#include <sys/types.h>

#include <string>

#include "lib/base/result.hpp"

namespace harness::loop {

struct BoundUnixSocket {
  int fd = -1;    // listening, close-on-exec; the caller owns it
  dev_t dev = 0;  // identity of the socket file, to remove only our own file later
  ino_t ino = 0;
};

// Binds and listens on a unix socket at `path` whose file has permissions `mode` (and group
// `group` unless -1) from the moment it appears there: it is bound in a fresh 0700 directory
// beside `path`, chmod/chown'ed, then renamed onto `path`. A stale socket file (connect refused)
// is replaced; a live one is a conflict "another daemon is listening on PATH"; anything else
// at `path` is an error. Errors name the path and the reason.
Result<BoundUnixSocket> bind_unix_socket(const std::string& path, int mode, gid_t group);

// Removes the socket file at `path` if it is still the one `s` created.
void remove_unix_socket(const std::string& path, const BoundUnixSocket& s);

}  // namespace harness::loop
