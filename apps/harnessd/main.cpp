// harnessd: flags → Config → Daemon::run(). Everything else lives in lib/.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "lib/config/config.hpp"
#include "lib/daemon/daemon.hpp"

namespace {
void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("harnessd");
  spdlog::set_default_logger(logger);
  // Under systemd, journald adds its own timestamps.
  if (std::getenv("JOURNAL_STREAM"))
    spdlog::set_pattern("[%l] %v");
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}
}  // namespace

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
  setup_logging(cfg->log_level);
  harness::daemon::Daemon daemon(std::move(*cfg));
  return daemon.run();
}
