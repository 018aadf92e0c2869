#pragma once
// harnessd's configuration: one immutable struct, loaded at startup (and again on SIGHUP) from
// defaults < file < environment < flags, each value remembering where it came from. Every key
// is declared in one table (lib/config/keys.cpp). Loading is blocking: call it before the loop
// runs, or off the loop.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/config/environment.hpp"
#include "lib/model/policy.hpp"
#include "lib/model/profiles.hpp"

namespace harness::config {

// A bearer token for TCP callers: who it names and which roles it carries.
struct TokenGrant {
  std::string name;                // [auth.tokens.NAME]; "token-N" for the top-level `tokens` list
  std::string sha256_hex;          // SHA-256 of the token, lowercase hex
  std::vector<std::string> roles;  // of "submit", "approve", "admin"
  std::string run_as = "";         // account the token's leaves run as; "" = fresh workspaces only
};

// [auth] (SPEC §11): who may do what. Without the section every caller has every role.
struct AuthConfig {
  bool configured = false;   // an [auth] section (or an [auth.tokens.NAME]) exists
  std::string socket_group;  // group of the 0660 socket; "" = the daemon's primary group
  std::vector<std::string> submit, approve, admin;  // "user:NAME" / "group:NAME"
  std::vector<std::string> read;     // may read every leaf (docs/security.md "Who can do what")
  std::vector<std::string> metrics;  // may scrape GET /metrics, nothing else
  std::vector<TokenGrant> tokens;    // [auth.tokens.NAME], then the top-level tokens
  std::vector<std::string> workdir_roots;  // a workdir must lie beneath one; [] = anywhere
};

// [schedules.NAME] (docs/schedules.md): when, and the leaf template each firing submits. The
// daemon turns it into a scheduler::Schedule at start-up (cron and zone errors stop it there).
struct ScheduleConfig {
  std::string name;
  std::string cron;           // "" when `every` is set
  std::int64_t every_ms = 0;  // 0 when `cron` is set
  std::string timezone = "UTC";
  std::string overlap = "skip";
  std::string catch_up = "none";
  std::int64_t jitter_ms = 0;
  // The leaf template: exactly one of prompt and prompt_file (read at start-up).
  std::string prompt;
  std::string prompt_file;
  std::string model;
  std::string sandbox;
  std::string policy;
  std::string workdir;
  std::int64_t max_turns = 0;  // 0 = the daemon's default, as for the other limits
  std::int64_t timeout_ms = 0;
  std::int64_t token_budget = 0;
  double budget_usd = 0;
  std::int64_t inactivity_ms = 0;
  std::vector<std::string> labels;  // "K=V"
};

// [notify.NAME] (docs/notifications.md): where a gate's notification goes when a policy naming
// this notifier opens one: an HTTP POST to `url`, and/or `command` run with the JSON on stdin.
struct NotifierConfig {
  std::string name;
  std::string url;                       // http:// or https://; "" = no POST
  std::vector<std::string> command;      // argv; [] = no command
  std::string secret_env;                // env var holding the HMAC secret; "" = unsigned
  std::string secret;                    // its value, read at load; never written by to_toml
  std::int64_t timeout_ms = 10'000;      // per attempt (the whole POST, or the command's run)
  std::int64_t attempts = 3;             // tries on connection errors, timeouts, 5xx, exit != 0
  std::int64_t retry_backoff_ms = 1000;  // before the 2nd try; x4 each further try, capped
};

// The daemon's settings after all layers are applied. Read-only once loaded; pass by const&.
struct Config {
  std::string state_dir;           // default: see default_state_dir()
  std::string socket;              // default: see default_socket()
  std::string listen;              // "" = no TCP; "HOST:PORT"
  std::string store;               // default "sqlite:<state_dir>/harness.db"
  std::string log_level = "info";  // trace|debug|info|warn|error
  int max_running = 8;             // leaves running at once; the rest wait queued, FIFO
  int default_max_turns = 50;
  std::int64_t default_timeout_ms = 3'600'000;  // max_duration when a leaf gives none ("timeout")
  std::int64_t shutdown_grace_ms = 10'000;      // SIGTERM: calls in flight may finish this long
  // Budgets and limits of a leaf that gives none (SPEC §4); 0 = none.
  std::int64_t default_token_budget = 0;   // "token_budget": input + output tokens
  double default_budget_usd = 0;           // "budget_usd", priced per model profile
  std::int64_t default_inactivity_ms = 0;  // "inactivity"
  // A scheduled time at most this old when the scheduler sees it fires as on time; older ones
  // were missed (catch_up decides). docs/schedules.md.
  std::int64_t schedule_grace_ms = 30'000;
  std::int64_t max_body_bytes = 8 << 20;
  std::int64_t max_input_bytes = 64 << 20;  // total of --input files per leaf
  // HTTP limits (docs/api.md "Limits"): the whole request must arrive within request_timeout;
  // unfinished request bytes across connections; open connections; a follower's unsent output.
  std::int64_t request_timeout_ms = 30'000;
  std::int64_t max_buffered_bytes = std::int64_t{64} << 20;
  int max_connections = 1024;
  std::int64_t max_follower_buffer = 8 << 20;
  // Sessions' folded logs kept between their leaves, in approximate bytes (docs/performance.md).
  std::int64_t history_cache_bytes = std::int64_t{64} << 20;
  std::string system_prompt;  // daemon default system prompt (built-in default)
  // SHA-256 of each TCP bearer token, lowercase hex. The file may hold plain tokens or
  // "sha256:HEX"; plain text never stays in memory past parsing.
  std::vector<std::string> tokens;
  // redis:// stores: time allowed per connection attempt, and per command (then reconnect).
  std::int64_t redis_connect_timeout_ms = 2000;
  std::int64_t redis_command_timeout_ms = 5000;
  // This daemon's name on a shared store (default: the host name), and how long its claim on a
  // running leaf lasts without renewal (docs/redis.md "Several daemons").
  std::string node;
  std::int64_t lease_ttl_ms = 15'000;
  std::map<std::string, model::ModelProfile> models;       // by name; no built-in "default"
  std::map<std::string, model::SandboxProfile> sandboxes;  // always holds "default"
  std::map<std::string, model::Policy> policies;           // [policies.NAME], by name
  std::map<std::string, ScheduleConfig> schedules;         // [schedules.NAME], by name
  std::map<std::string, NotifierConfig> notifiers;         // [notify.NAME], by name
  AuthConfig auth;
  // [redaction] patterns: ECMAScript regexes of further secrets (docs/security.md "Redaction").
  std::vector<std::string> redaction_patterns;
  // Key ("max_running", "models.local.provider") -> "default" | "FILE:LINE" | "env HARNESS_X" |
  // "flag --x". Section headers ("models.local") map to where they were declared.
  std::map<std::string, std::string> origins;
  std::string source;  // the config file read; "" when only defaults, environment and flags
  // log_format: "text", or "json" for one object per line.
  std::string log_format = "text";
};

// The config in force. A reload (SIGHUP) swaps in a new one; whoever holds the old pointer (a
// running leaf) keeps what it started with.
using ConfigPtr = std::shared_ptr<const Config>;

// Values given on harnessd's command line; they win over everything else.
struct Overrides {
  std::optional<std::string> state_dir, socket, listen, store, log_level, log_format, node;
};

// Loads defaults < file < environment (HARNESS_STATE_DIR, HARNESS_SOCKET, HARNESS_LISTEN,
// HARNESS_STORE, HARNESS_LOG_LEVEL, HARNESS_LOG_FORMAT, HARNESS_MAX_RUNNING, HARNESS_NODE; empty =
// unset) < flags. `path` empty: default_config_path() if that file exists, else no file. A given
// `path` that does not exist is not_found. Bad content is invalid/bad_request naming FILE:LINE:COL
// and key.
Result<Config> load_config(const std::string& path, const Overrides& flags);
// Same, with an explicit environment (tests, or a caller that already captured it).
Result<Config> load_config(const std::string& path, const Overrides& flags, const Environment& env);

// Parses `toml_text` as if read from the file `source_name` (used in messages and origins, and
// to resolve relative paths), then applies the process environment and `flags`.
Result<Config> parse_config(std::string_view toml_text, const std::string& source_name,
                            const Overrides& flags);
// Same, with an explicit environment.
Result<Config> parse_config(std::string_view toml_text, const std::string& source_name,
                            const Overrides& flags, const Environment& env);

// The effective configuration as TOML (for `harnessd --print-config`): every key with a one-line
// doc comment and its origin as a trailing comment. parse_config() of the result yields the
// same values. Tokens are written as "sha256:HEX", never in plain text.
std::string to_toml(const Config& config);
// Same; `with_comments` false leaves out docs and origins (stable text for comparisons).
std::string to_toml(const Config& config, bool with_comments);

}  // namespace harness::config
