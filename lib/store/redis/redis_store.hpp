#pragma once
// The Redis Store (hiredis async on the daemon's loop). Loop thread only.

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "lib/store/store.hpp"

namespace harness::store::redis {

// Parses `url` (redis://[user:pass@]host:port/db) and starts connecting; does not block and
// does not wait for Redis. Calls made before the first connection is up wait for it (at most
// the connect timeout); while Redis is unreachable every call fails `unavailable` naming
// host:port and the reason, and the store keeps reconnecting. invalid for a bad URL (the
// message never shows the password).
Result<std::unique_ptr<Store>> open_redis_store(uv_loop_t* loop, const std::string& url,
                                                const StoreOptions& options);

}  // namespace harness::store::redis
