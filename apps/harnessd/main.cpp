// harnessd: flags → Config → Daemon::run(). Everything else lives in lib/.

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "lib/base/fd_limit.hpp"
#include "lib/config/config.hpp"
#include "lib/config/credentials.hpp"
#include "lib/daemon/daemon.hpp"
#include "lib/daemon/logging.hpp"

int main(int argc, char** argv) {
  CLI::App app{"harnessd — runs agent leaves: LLM agent loops whose tools execute in sandboxes"};
  std::string config_path;
  harness::config::Overrides flags;
  bool foreground = false;
  bool print_config = false;
  bool version = false;
  auto opt = [&](const char* name, std::optional<std::string>& target, const char* help) {
    app.add_option_function<std::string>(
        name, [&target](const std::string& v) { target = v; }, help);
  };
  app.add_option("--config", config_path, "config file (TOML)");
  opt("--state-dir", flags.state_dir, "directory for the database and leaf envelopes");
  opt("--socket", flags.socket, "unix socket path of the API");
  opt("--listen", flags.listen, "also serve the API on TCP HOST:PORT (bearer tokens required)");
  opt("--store", flags.store, "store URL: sqlite:PATH");
  opt("--log-level", flags.log_level, "trace, debug, info, warn or error");
  opt("--log-format", flags.log_format, "text, or json: one object per line");
  app.add_flag("--foreground", foreground, "stay in the foreground (the only mode; for scripts)");
  app.add_flag("--print-config", print_config, "print the effective config with origins and exit");
  app.add_flag("--version", version, "print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (version) {
    std::printf("harnessd %s\n", HARNESS_VERSION);
    return 0;
  }
  auto cfg = harness::config::load_config(config_path, flags);
  if (!cfg) {
    std::fprintf(stderr, "harnessd: %s\n", cfg.error().message.c_str());
    return 2;
  }
  if (print_config) {
    std::cout << harness::config::to_toml(*cfg);
    return 0;
  }
  auto credentials = harness::config::import_credentials(*cfg);
  if (!credentials) {
    std::fprintf(stderr, "harnessd: %s\n", credentials.error().message.c_str());
    return 2;
  }
  harness::daemon::setup_logging(cfg->log_level, cfg->log_format);
  for (const auto& name : *credentials) spdlog::info("{}: from $CREDENTIALS_DIRECTORY", name);
  if (auto fds = harness::raise_fd_limit(); fds && fds->soft < fds->hard)
    spdlog::info("open files: soft limit raised from {} to {}", fds->soft, fds->hard);
  // SIGHUP reads the same file with the same flags; credentials were imported once, above.
  harness::daemon::Daemon daemon(std::move(*cfg), [config_path, flags] {
    return harness::config::load_config(config_path, flags);
  });
  return daemon.run();
}
