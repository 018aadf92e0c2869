#pragma once
// Daemon: owns the loop and everything on it — store, HTTP server, model client, leaf manager —
// and runs the lifecycle: lock the state dir, open the store, listen, recover unfinished leaves,
// report ready, serve until SIGTERM/SIGINT (SIGHUP reloads the config: reload.hpp), then shut down
// in order (stop listening, let the runners finish their step within shutdown_grace, close the
// model client, close the store, run the loop until idle, leave the clean-shutdown marker).
//
// Threads: run() is the loop thread; the store owns one extra thread.

#include <uv.h>

#include <functional>
#include <memory>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/store/schedule_store.hpp"

namespace harness::daemon {

// Reads the config again (file, environment, the command line's flags), for SIGHUP. Runs off the
// loop thread.
using ConfigLoader = std::function<Result<config::Config>()>;

class Daemon {
 public:
  // Without a loader SIGHUP is ignored.
  explicit Daemon(config::Config cfg, ConfigLoader loader = {});
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until a termination signal. Returns the process exit code (0 on a clean stop; 1 when
  // startup or recovery failed, after logging why — e.g. another daemon holds the state dir's
  // lock, or the store could not list the unfinished leaves).
  int run();

 private:
  void shutdown();
  void reload();
  void apply_reload(Result<config::Config> loaded,
                    Result<std::vector<store::ScheduleRecord>> schedules);
  void close_services();

  struct Parts;
  config::ConfigPtr m_cfg;  // the one in force; a reload replaces it
  ConfigLoader m_loader;
  uv_loop_t m_loop{};
  std::unique_ptr<Parts> m_parts;
};

}  // namespace harness::daemon
