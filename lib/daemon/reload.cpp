#include "lib/daemon/reload.hpp"

#include <memory>
#include <utility>

namespace harness::daemon {
namespace {
// Puts `current`'s value back into `next` and notes `key` when they differ.
template <typename T>
void keep(const char* key, const T& current, T& next, std::vector<std::string>& changed) {
  if (next == current) return;
  changed.emplace_back(key);
  next = current;
}
}  // namespace

ReloadPlan plan_reload(const config::Config& current, config::Config loaded) {
  ReloadPlan plan;
  auto& c = plan.need_restart;
  keep("state_dir", current.state_dir, loaded.state_dir, c);
  keep("store", current.store, loaded.store, c);
  keep("redis_connect_timeout", current.redis_connect_timeout_ms, loaded.redis_connect_timeout_ms,
       c);
  keep("redis_command_timeout", current.redis_command_timeout_ms, loaded.redis_command_timeout_ms,
       c);
  keep("node", current.node, loaded.node, c);
  keep("lease_ttl", current.lease_ttl_ms, loaded.lease_ttl_ms, c);
  keep("socket", current.socket, loaded.socket, c);
  keep("auth.socket_group", current.auth.socket_group, loaded.auth.socket_group, c);
  keep("listen", current.listen, loaded.listen, c);
  keep("max_body_bytes", current.max_body_bytes, loaded.max_body_bytes, c);
  keep("request_timeout", current.request_timeout_ms, loaded.request_timeout_ms, c);
  keep("max_buffered_bytes", current.max_buffered_bytes, loaded.max_buffered_bytes, c);
  keep("max_connections", current.max_connections, loaded.max_connections, c);
  keep("max_follower_buffer", current.max_follower_buffer, loaded.max_follower_buffer, c);
  keep("history_cache_bytes", current.history_cache_bytes, loaded.history_cache_bytes, c);
  keep("log_format", current.log_format, loaded.log_format, c);
  plan.next = std::make_shared<const config::Config>(std::move(loaded));
  return plan;
}

}  // namespace harness::daemon
