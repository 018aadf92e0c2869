#pragma once
// What the config's defaults depend on besides the file: environment variables and whether we
// run as root. Captured once so defaults are testable without touching the real environment.

#include <map>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"

namespace harness::config {

struct Environment {
  std::map<std::string, std::string, std::less<>> vars;
  unsigned uid = 0;
  // The working directory relative paths from flags and the environment are resolved against;
  // "" = the process's current directory at the time of loading.
  std::string cwd;

  // The current process's variables and effective uid; HOME filled from the password database
  // when unset.
  static Environment from_process();
  // The variable's value; "" when unset.
  std::string get(std::string_view name) const;
  bool is_root() const { return uid == 0; }
};

// /etc/harness/harnessd.toml for root; else $XDG_CONFIG_HOME (or ~/.config)/harness/harnessd.toml.
std::string default_config_path(const Environment& env);
// /var/lib/harness for root; else $XDG_STATE_HOME (or ~/.local/state)/harness. invalid when
// neither XDG_STATE_HOME nor HOME is known.
Result<std::string> default_state_dir(const Environment& env);
// /run/harness/harnessd.sock for root; else $XDG_RUNTIME_DIR/harness/harnessd.sock, or
// /tmp/harness-UID/harnessd.sock when XDG_RUNTIME_DIR is unset.
std::string default_socket(const Environment& env);

}  // namespace harness::config
