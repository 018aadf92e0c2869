#pragma once
// SIGHUP: which parts of a freshly loaded config take effect now, and which need a restart.
//
// Applied now (to new leaves, new model and tool calls of new leaves, and every request from
// then on): models, sandboxes, policies, auth roles and tokens, redaction patterns, limits and
// defaults, max_running, log_level, shutdown_grace, notifiers ([notify.NAME] and the policies'
// notify lists, for every gate opened from then on, running leaves' too). Running leaves keep
// the config they started with. Kept until a restart, each named in the log: what the daemon holds
// open — the state dir, the store, the socket and its group, the TCP listener — and the HTTP
// server's limits and the log format.

#include <string>
#include <vector>

#include "lib/config/config.hpp"

namespace harness::daemon {

struct ReloadPlan {
  config::ConfigPtr next;                 // `loaded`, with the restart-only keys of `current`
  std::vector<std::string> need_restart;  // the restart-only keys whose value changed
};

ReloadPlan plan_reload(const config::Config& current, config::Config loaded);

}  // namespace harness::daemon
