#include "lib/config/environment.hpp"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

extern char** environ;

namespace harness::config {

Environment Environment::from_process() {
  Environment env;
  for (char** p = environ; p && *p; ++p) {
    std::string_view entry(*p);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    env.vars.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  env.uid = static_cast<unsigned>(::geteuid());
  std::error_code ec;
  env.cwd = std::filesystem::current_path(ec).string();
  if (env.get("HOME").empty()) {
    // getpwuid is not thread-safe, but config loading happens before threads start.
    if (const passwd* pw = ::getpwuid(env.uid); pw && pw->pw_dir) env.vars["HOME"] = pw->pw_dir;
  }
  return env;
}

std::string Environment::get(std::string_view name) const {
  auto it = vars.find(name);
  return it == vars.end() ? std::string() : it->second;
}

std::string default_config_path(const Environment& env) {
  if (env.is_root()) return "/etc/harness/harnessd.toml";
  std::string base = env.get("XDG_CONFIG_HOME");
  if (base.empty()) base = env.get("HOME") + "/.config";
  return base + "/harness/harnessd.toml";
}

Result<std::string> default_state_dir(const Environment& env) {
  if (env.is_root()) return std::string("/var/lib/harness");
  if (std::string xdg = env.get("XDG_STATE_HOME"); !xdg.empty()) return xdg + "/harness";
  if (std::string home = env.get("HOME"); !home.empty()) return home + "/.local/state/harness";
  return make_error(ErrorCode::invalid,
                    "cannot choose a default state_dir: neither XDG_STATE_HOME nor HOME is set; "
                    "set state_dir in the config or pass --state-dir");
}

std::string default_socket(const Environment& env) {
  if (env.is_root()) return "/run/harness/harnessd.sock";
  if (std::string xdg = env.get("XDG_RUNTIME_DIR"); !xdg.empty())
    return xdg + "/harness/harnessd.sock";
  return "/tmp/harness-" + std::to_string(env.uid) + "/harnessd.sock";
}

}  // namespace harness::config
