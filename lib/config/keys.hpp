#pragma once
// The one table of config keys. Each row says where the key lives (top level, [models.NAME],
// [sandboxes.NAME], [policies.NAME], [auth], [auth.tokens.NAME]), its type, default, bounds,
// environment variable, flag and a line of docs; parsing, validation, defaults and to_toml() are
// all driven from it.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/config/config.hpp"

namespace harness::config {

enum class Scope {
  top,
  model,
  sandbox,
  policy,      // [policies.NAME]
  auth,        // [auth]
  auth_token,  // [auth.tokens.NAME]
  redaction,   // [redaction] (stored in Config)
  schedule,    // [schedules.NAME]
  notify,      // [notify.NAME]
};

enum class Kind {
  string,       // any string; `check` may restrict it
  path,         // a string; relative values from a file are resolved against the file's dir
  choice,       // one of `choices` ("a|b|c")
  integer,      // a TOML integer within [min, max]
  decimal,      // a TOML float or integer within [min, max], finite
  duration,     // a string like "90s", "5m", "1h" (milliseconds within [min, max])
  boolean,      // true | false
  string_list,  // an array of strings; `check` applies to each element
  token_list,   // an array of bearer tokens, stored as SHA-256 hex
  token,        // one bearer token (min. 8 chars), stored as SHA-256 hex; "" default = unset
  sha256,       // 64 hex digits, stored lowercase; "" default = unset
};

// Where a key's value is stored: a member of Config, ModelProfile, SandboxProfile, Policy,
// AuthConfig or TokenGrant. Rule lists and verdicts are stored parsed, read back as text.
using Slot =
    std::variant<std::string Config::*, int Config::*, std::int64_t Config::*, double Config::*,
                 double model::ModelProfile::*, std::vector<std::string> Config::*,
                 std::string model::ModelProfile::*, int model::ModelProfile::*,
                 std::int64_t model::ModelProfile::*, std::string model::SandboxProfile::*,
                 bool model::SandboxProfile::*, std::int64_t model::SandboxProfile::*,
                 std::vector<std::string> model::SandboxProfile::*,
                 // [policies.NAME], [auth], [auth.tokens.NAME]
                 std::vector<model::Rule> model::Policy::*, model::Verdict model::Policy::*,
                 std::vector<std::string> model::Policy::*, bool model::Policy::*,
                 std::int64_t model::Policy::*, std::string AuthConfig::*,
                 std::vector<std::string> AuthConfig::*, std::string TokenGrant::*,
                 std::vector<std::string> TokenGrant::*, std::string ScheduleConfig::*,
                 std::int64_t ScheduleConfig::*, double ScheduleConfig::*,
                 std::vector<std::string> ScheduleConfig::*, std::string NotifierConfig::*,
                 std::int64_t NotifierConfig::*, std::vector<std::string> NotifierConfig::*>;

// The objects one key may be stored into; only the one matching the key's scope must be set.
struct Target {
  Config* config = nullptr;
  model::ModelProfile* model = nullptr;
  model::SandboxProfile* sandbox = nullptr;
  model::Policy* policy = nullptr;
  AuthConfig* auth = nullptr;
  TokenGrant* token = nullptr;
  ScheduleConfig* schedule = nullptr;
  NotifierConfig* notifier = nullptr;
};

// The same, read-only.
struct ConstTarget {
  const Config* config = nullptr;
  const model::ModelProfile* model = nullptr;
  const model::SandboxProfile* sandbox = nullptr;
  const model::Policy* policy = nullptr;
  const AuthConfig* auth = nullptr;
  const TokenGrant* token = nullptr;
  const ScheduleConfig* schedule = nullptr;
  const NotifierConfig* notifier = nullptr;

  ConstTarget() = default;
  ConstTarget(const Config* c, const model::ModelProfile* m = nullptr,
              const model::SandboxProfile* s = nullptr)
      : config(c), model(m), sandbox(s) {}
  ConstTarget(const Target& t)  // NOLINT: implicit by design
      : config(t.config),
        model(t.model),
        sandbox(t.sandbox),
        policy(t.policy),
        auth(t.auth),
        token(t.token),
        schedule(t.schedule),
        notifier(t.notifier) {}
};

struct KeySpec {
  Scope scope;
  std::string_view name;  // as written in the file, without the section
  Kind kind;
  Slot slot;
  std::string_view default_text = {};  // parsed like an environment value; ignored when `derive`
  std::string_view doc = {};
  std::int64_t min = 0;  // integer/duration bounds (durations in ms)
  std::int64_t max = 0;
  std::string_view choices = {};
  std::string_view env = {};                               // HARNESS_X, or none
  std::optional<std::string> Overrides::*flag = nullptr;   // harnessd flag, or none
  std::string_view flag_name = {};                         // "--state-dir"
  std::string (*check)(std::string_view value) = nullptr;  // "" when fine, else what is allowed
  Result<std::string> (*derive)(const ConstTarget&,
                                const Environment&) = nullptr;  // computed default
  bool (*required)(const ConstTarget&) = nullptr;  // must be given (and non-empty) when true
  // A check across keys of one section, run after defaults: "" when fine, else the problem
  // (reported at this key's origin, or the section's when the key was not set in the file).
  std::string (*validate)(const ConstTarget&) = nullptr;
  bool hidden = false;  // not written by to_toml (another key shows its value)
};

// Every key, in the order to_toml() writes them.
std::span<const KeySpec> all_keys();
// The key named `name` in `scope`, or nullptr.
const KeySpec* find_key(Scope scope, std::string_view name);
// "provider, base_url, ..." — for "unknown key" messages.
std::string key_names(Scope scope);
// The daemon's built-in default system prompt.
std::string_view default_system_prompt();

}  // namespace harness::config
