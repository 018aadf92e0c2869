#include "lib/config/keys.hpp"

#include <unistd.h>

#include <array>

#include "lib/model/policy.hpp"
#include "lib/model/redactor.hpp"

namespace harness::config {
namespace {

using model::ModelProfile;
using model::SandboxProfile;

constexpr std::string_view k_system_prompt =
    "You are an autonomous agent working in a sandboxed workspace. Use the tools to inspect and "
    "change files and to run commands; paths are relative to the workspace. Work step by step, "
    "check your results, and when the task is done answer with a short plain-text summary of "
    "what you did. If an action needs a human decision, call request_approval.";

bool is_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

bool is_env_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") ==
         std::string_view::npos;
}

std::string check_listen(std::string_view v) {
  if (v.empty()) return "";
  auto colon = v.rfind(':');
  std::string_view host = colon == std::string_view::npos ? "" : v.substr(0, colon);
  std::string_view port = colon == std::string_view::npos ? "" : v.substr(colon + 1);
  bool port_ok = is_digits(port) && port.size() <= 5 && std::stoi(std::string(port)) >= 1 &&
                 std::stoi(std::string(port)) <= 65535;
  if (host.empty() || !port_ok) return "\"\" (no TCP) or HOST:PORT with a port from 1 to 65535";
  return "";
}

std::string check_store(std::string_view v) {
  if (v.starts_with("sqlite:") && v.size() > 7) return "";
  if (v.starts_with("redis://") && v.size() > 8) return "";
  return "sqlite:PATH or redis://[user:pass@]host:port/db";
}

std::string check_node(std::string_view v) {
  if (!v.empty() && v.size() <= 253 &&
      v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
          std::string_view::npos)
    return "";
  return "a name of 1 to 253 letters, digits, '.', '_' or '-' (a host or pod name)";
}

std::string check_url(std::string_view v) {
  if (v.empty() || v.starts_with("http://") || v.starts_with("https://")) return "";
  return "an http:// or https:// URL";
}

std::string check_env_name(std::string_view v) {
  if (v.empty() || is_env_name(v)) return "";
  return "an environment variable name (letters, digits, _), or \"\" for no key";
}

std::string check_env_assignment(std::string_view v) {
  auto eq = v.find('=');
  if (eq != std::string_view::npos && is_env_name(v.substr(0, eq))) return "";
  return "NAME=VALUE entries";
}

std::string check_rule(std::string_view v) {
  if (model::parse_rule(v)) return "";
  return "rules TOOL or TOOL:GLOB, TOOL one of bash, read_file, write_file, edit_file, "
         "list_files, grep, request_approval or *";
}

std::string check_principal(std::string_view v) {
  if (model::check_principal(v)) return "";
  return "user:NAME or group:NAME";
}

std::string check_role(std::string_view v) {
  if (v == "submit" || v == "approve" || v == "admin" || v == "read" || v == "metrics") return "";
  return "roles submit, approve, admin, read or metrics";
}

std::string check_regex(std::string_view v) {
  std::string why = model::Redactor::pattern_error(v);
  return why.empty() ? "" : "ECMAScript regular expressions (" + why + ")";
}

std::string check_group_name(std::string_view v) {
  bool ok = v.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789._-") == std::string_view::npos &&
            !v.starts_with('-');
  return ok ? "" : "a group name (letters, digits, '.', '_', '-'), or \"\" for the daemon's group";
}

std::string check_user_name(std::string_view v) {
  bool ok = v.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789._-$") == std::string_view::npos &&
            !v.starts_with('-');
  return ok ? "" : "a user name (letters, digits, '.', '_', '-'), or \"\" for none";
}

std::string check_absolute_dir(std::string_view v) {
  if (!v.empty() && v.front() == '/' && v.find("/../") == std::string_view::npos &&
      !v.ends_with("/.."))
    return "";
  return "absolute directory paths without '..'";
}

Result<std::string> derive_state_dir(const ConstTarget&, const Environment& env) {
  return default_state_dir(env);
}

Result<std::string> derive_socket(const ConstTarget&, const Environment& env) {
  return default_socket(env);
}

Result<std::string> derive_store(const ConstTarget& t, const Environment&) {
  return "sqlite:" + t.config->state_dir + "/harness.db";
}

Result<std::string> derive_node(const ConstTarget&, const Environment&) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return std::string("harnessd");
  return std::string(host);
}

Result<std::string> derive_base_url(const ConstTarget& t, const Environment&) {
  if (t.model->provider == "anthropic") return std::string("https://api.anthropic.com");
  if (t.model->provider == "openai") return std::string("https://api.openai.com/v1");
  return std::string();
}

// openai at another base_url (a local llama.cpp, vLLM, Ollama) is taken for a keyless server when
// api_key_env is left out: no key is sent. Derived after base_url (table order).
Result<std::string> derive_api_key_env(const ConstTarget& t, const Environment&) {
  if (t.model->provider == "anthropic") return std::string("ANTHROPIC_API_KEY");
  if (t.model->provider == "openai") {
    std::string url = t.model->base_url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    if (url == "https://api.openai.com/v1") return std::string("OPENAI_API_KEY");
  }
  return std::string();
}

bool is_container_driver(const ConstTarget& t) {
  return t.sandbox->driver == "podman" || t.sandbox->driver == "docker";
}
bool if_kubectl(const ConstTarget& t) {
  return t.sandbox->driver == "kubectl";
}

// podman/docker: exactly one of container and image.
std::string validate_container_or_image(const ConstTarget& t) {
  if (!is_container_driver(t)) return "";
  bool c = !t.sandbox->container.empty(), i = !t.sandbox->image.empty();
  if (c && i) return "set either 'container' (exec into it) or 'image' (one per leaf), not both";
  if (!c && !i) return "driver " + t.sandbox->driver + " needs 'container' or 'image'";
  return "";
}

// kubectl: exactly one of pod and selector.
std::string validate_pod_or_selector(const ConstTarget& t) {
  if (!if_kubectl(t)) return "";
  bool p = !t.sandbox->pod.empty(), s = !t.sandbox->selector.empty();
  if (p && s) return "set either 'pod' or 'selector', not both";
  if (!p && !s) return "driver kubectl needs 'pod' or 'selector'";
  return "";
}

bool always(const ConstTarget&) {
  return true;
}
bool unless_replay(const ConstTarget& t) {
  return t.model->provider != "replay";
}
bool if_replay(const ConstTarget& t) {
  return t.model->provider == "replay";
}

std::string check_label(std::string_view v) {
  auto eq = v.find('=');
  if (eq != std::string_view::npos && eq > 0) return "";
  return "K=V labels";
}

// [schedules.NAME]: exactly one of cron and every; exactly one of prompt and prompt_file.
std::string validate_schedule(const ConstTarget& t) {
  const ScheduleConfig& s = *t.schedule;
  if (s.cron.empty() == (s.every_ms == 0))
    return "a schedule needs exactly one of 'cron' and 'every'";
  if (s.every_ms > 0 && s.every_ms < 1000) return "'every' must be at least 1s";
  if (s.prompt.empty() == s.prompt_file.empty())
    return "a schedule needs exactly one of 'prompt' and 'prompt_file'";
  return "";
}

// [notify.NAME]: somewhere to send to.
std::string validate_notifier(const ConstTarget& t) {
  const NotifierConfig& n = *t.notifier;
  if (n.url.empty() && n.command.empty()) return "a notifier needs 'url', 'command' or both";
  return "";
}

std::string check_notifier_name(std::string_view v) {
  bool ok = !v.empty() && v.find_first_not_of(
                              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789_-") == std::string_view::npos;
  return ok ? "" : "names of [notify.NAME] sections";
}

std::string check_argv_item(std::string_view v) {
  return v.find('\0') == std::string_view::npos ? "" : "strings without NUL bytes";
}

constexpr std::int64_t k_sec = 1000;
constexpr std::int64_t k_hour = 3600 * k_sec;
constexpr std::int64_t k_day = 24 * k_hour;
constexpr std::int64_t k_mib = 1 << 20;

// clang-format off
const std::array k_keys = {
  // Top level.
  KeySpec{.scope = Scope::top, .name = "state_dir", .kind = Kind::path, .slot = &Config::state_dir,
          .doc = "Directory for the SQLite database and leaf envelopes.",
          .env = "HARNESS_STATE_DIR", .flag = &Overrides::state_dir, .flag_name = "--state-dir",
          .derive = derive_state_dir},
  KeySpec{.scope = Scope::top, .name = "socket", .kind = Kind::path, .slot = &Config::socket,
          .doc = "Unix socket the API is served on.",
          .env = "HARNESS_SOCKET", .flag = &Overrides::socket, .flag_name = "--socket",
          .derive = derive_socket},
  KeySpec{.scope = Scope::top, .name = "listen", .kind = Kind::string, .slot = &Config::listen,
          .default_text = "", .doc = "HOST:PORT to also serve on TCP (bearer tokens required); \"\" = off.",
          .env = "HARNESS_LISTEN", .flag = &Overrides::listen, .flag_name = "--listen",
          .check = check_listen},
  KeySpec{.scope = Scope::top, .name = "store", .kind = Kind::string, .slot = &Config::store,
          .doc = "sqlite:PATH or redis://[user:pass@]host:port/db.",
          .env = "HARNESS_STORE", .flag = &Overrides::store, .flag_name = "--store",
          .check = check_store, .derive = derive_store},
  KeySpec{.scope = Scope::top, .name = "node", .kind = Kind::string, .slot = &Config::node,
          .doc = "This daemon's name among the daemons sharing a store; two live daemons may not share one. Default: the host name.",
          .env = "HARNESS_NODE", .flag = &Overrides::node, .flag_name = "--node",
          .check = check_node, .derive = derive_node},
  KeySpec{.scope = Scope::top, .name = "lease_ttl", .kind = Kind::duration, .slot = &Config::lease_ttl_ms,
          .default_text = "15s", .doc = "Redis store: how long a daemon's claim on a running leaf lasts without renewal; a dead daemon's leaves are taken over after it.",
          .min = 500, .max = 10 * 60 * k_sec},
  KeySpec{.scope = Scope::top, .name = "redis_connect_timeout", .kind = Kind::duration, .slot = &Config::redis_connect_timeout_ms,
          .default_text = "2s", .doc = "Redis store: time allowed per connection attempt (connect, AUTH, SELECT, setup).",
          .min = 100, .max = 60 * k_sec},
  KeySpec{.scope = Scope::top, .name = "redis_command_timeout", .kind = Kind::duration, .slot = &Config::redis_command_timeout_ms,
          .default_text = "5s", .doc = "Redis store: time allowed per command; then the connection is dropped and remade.",
          .min = 100, .max = 10 * 60 * k_sec},
  KeySpec{.scope = Scope::top, .name = "log_level", .kind = Kind::choice, .slot = &Config::log_level,
          .default_text = "info", .doc = "Log verbosity.",
          .choices = "trace|debug|info|warn|error",
          .env = "HARNESS_LOG_LEVEL", .flag = &Overrides::log_level, .flag_name = "--log-level"},
  KeySpec{.scope = Scope::top, .name = "log_format", .kind = Kind::choice, .slot = &Config::log_format,
          .default_text = "text", .doc = "Log lines as text, or json: one {\"ts\",\"level\",\"msg\"} object per line.",
          .choices = "text|json",
          .env = "HARNESS_LOG_FORMAT", .flag = &Overrides::log_format, .flag_name = "--log-format"},
  KeySpec{.scope = Scope::top, .name = "max_running", .kind = Kind::integer, .slot = &Config::max_running,
          .default_text = "8", .doc = "Leaves running at once; the rest wait queued, first in first out.",
          .min = 1, .max = 100'000, .env = "HARNESS_MAX_RUNNING"},
  KeySpec{.scope = Scope::top, .name = "max_turns", .kind = Kind::integer, .slot = &Config::default_max_turns,
          .default_text = "50", .doc = "Model turns a leaf may take when it gives no max_turns.",
          .min = 1, .max = 100'000},
  KeySpec{.scope = Scope::top, .name = "timeout", .kind = Kind::duration, .slot = &Config::default_timeout_ms,
          .default_text = "1h", .doc = "A leaf's max_duration when it gives none.",
          .min = k_sec, .max = 365 * k_day},
  KeySpec{.scope = Scope::top, .name = "shutdown_grace", .kind = Kind::duration, .slot = &Config::shutdown_grace_ms,
          .default_text = "10s", .doc = "On SIGTERM, how long model and tool calls in flight may take to finish and be persisted.",
          .min = 0, .max = k_hour},
  KeySpec{.scope = Scope::top, .name = "token_budget", .kind = Kind::integer, .slot = &Config::default_token_budget,
          .default_text = "0", .doc = "Input + output tokens a leaf may use when it gives no token_budget; 0 = no limit.",
          .min = 0, .max = 1'000'000'000'000},
  KeySpec{.scope = Scope::top, .name = "budget_usd", .kind = Kind::decimal, .slot = &Config::default_budget_usd,
          .default_text = "0", .doc = "USD a leaf may spend (model profile prices) when it gives no budget_usd; 0 = no limit.",
          .min = 0, .max = 1'000'000'000},
  KeySpec{.scope = Scope::top, .name = "inactivity", .kind = Kind::duration, .slot = &Config::default_inactivity_ms,
          .default_text = "0s", .doc = "End a leaf after this long with no model response and no tool output; 0s = never.",
          .min = 0, .max = 365 * k_day},
  KeySpec{.scope = Scope::top, .name = "schedule_grace", .kind = Kind::duration, .slot = &Config::schedule_grace_ms,
          .default_text = "30s", .doc = "A schedule's time this old when seen (after downtime) still fires as on time; older ones follow catch_up.",
          .min = k_sec, .max = k_day},
  KeySpec{.scope = Scope::top, .name = "max_body_bytes", .kind = Kind::integer, .slot = &Config::max_body_bytes,
          .default_text = "8388608", .doc = "Largest HTTP request body accepted.",
          .min = 1024, .max = 1024 * k_mib},
  KeySpec{.scope = Scope::top, .name = "max_input_bytes", .kind = Kind::integer, .slot = &Config::max_input_bytes,
          .default_text = "67108864", .doc = "Largest total size of the input files of one leaf.",
          .min = 0, .max = 1024 * k_mib},
  KeySpec{.scope = Scope::top, .name = "request_timeout", .kind = Kind::duration, .slot = &Config::request_timeout_ms,
          .default_text = "30s", .doc = "Time for a whole HTTP request (head and body) to arrive, from its first byte; 408 after.",
          .min = k_sec, .max = k_hour},
  KeySpec{.scope = Scope::top, .name = "max_buffered_bytes", .kind = Kind::integer, .slot = &Config::max_buffered_bytes,
          .default_text = "67108864", .doc = "Unfinished request bytes held across all connections; past it the biggest holders get 503.",
          .min = 64 * 1024, .max = 64 * 1024 * k_mib},
  KeySpec{.scope = Scope::top, .name = "max_connections", .kind = Kind::integer, .slot = &Config::max_connections,
          .default_text = "1024", .doc = "Open HTTP connections; further ones get 503 and are closed.",
          .min = 1, .max = 1'000'000},
  KeySpec{.scope = Scope::top, .name = "max_follower_buffer", .kind = Kind::integer, .slot = &Config::max_follower_buffer,
          .default_text = "8388608", .doc = "Unsent bytes of an event stream before its slow reader is disconnected.",
          .min = 64 * 1024, .max = 1024 * k_mib},
  KeySpec{.scope = Scope::top, .name = "history_cache_bytes", .kind = Kind::integer, .slot = &Config::history_cache_bytes,
          .default_text = "67108864", .doc = "Memory for sessions' histories kept between their leaves, so a resume reads only new events; 0 = none.",
          .min = 0, .max = 64 * 1024 * k_mib},
  KeySpec{.scope = Scope::top, .name = "system_prompt", .kind = Kind::string, .slot = &Config::system_prompt,
          .default_text = k_system_prompt, .doc = "The daemon's default system prompt."},
  KeySpec{.scope = Scope::top, .name = "tokens", .kind = Kind::token_list, .slot = &Config::tokens,
          .default_text = "", .doc = "Bearer tokens accepted on TCP: plain (min. 8 chars) or \"sha256:HEX\"."},

  // [policies.NAME]
  KeySpec{.scope = Scope::policy, .name = "allow", .kind = Kind::string_list, .slot = &model::Policy::allow,
          .default_text = "", .doc = "Tool calls that run without asking: TOOL or TOOL:GLOB over the command or path.",
          .check = check_rule},
  KeySpec{.scope = Scope::policy, .name = "ask", .kind = Kind::string_list, .slot = &model::Policy::ask,
          .default_text = "", .doc = "Tool calls that wait at a gate for a human verdict.",
          .check = check_rule},
  KeySpec{.scope = Scope::policy, .name = "deny", .kind = Kind::string_list, .slot = &model::Policy::deny,
          .default_text = "", .doc = "Tool calls refused outright (the model gets an error).",
          .check = check_rule},
  KeySpec{.scope = Scope::policy, .name = "default", .kind = Kind::choice, .slot = &model::Policy::fallback,
          .default_text = "allow", .doc = "The verdict for calls no rule matches (the strictest matching rule wins).",
          .choices = "allow|ask|deny"},
  KeySpec{.scope = Scope::policy, .name = "approvers", .kind = Kind::string_list, .slot = &model::Policy::approvers,
          .default_text = "", .doc = "Who may decide this policy's gates (user:NAME, group:NAME); [] = anyone with approve.",
          .check = check_principal},
  KeySpec{.scope = Scope::policy, .name = "four_eyes", .kind = Kind::boolean, .slot = &model::Policy::four_eyes,
          .default_text = "false", .doc = "Whether the submitter is forbidden to decide their own leaf's gates."},
  KeySpec{.scope = Scope::policy, .name = "gate_timeout", .kind = Kind::duration, .slot = &model::Policy::gate_timeout_ms,
          .default_text = "0s", .doc = "An open gate rejects and stops the leaf after this long; \"0s\" = never.",
          .min = 0, .max = 365 * k_day},
  KeySpec{.scope = Scope::policy, .name = "notify", .kind = Kind::string_list, .slot = &model::Policy::notify,
          .default_text = "", .doc = "[notify.NAME] sections told when a gate of this policy opens.",
          .check = check_notifier_name},

  // [auth]
  KeySpec{.scope = Scope::auth, .name = "socket_group", .kind = Kind::string, .slot = &AuthConfig::socket_group,
          .default_text = "", .doc = "Group of the 0660 unix socket; \"\" = the daemon's primary group.",
          .check = check_group_name},
  KeySpec{.scope = Scope::auth, .name = "submit", .kind = Kind::string_list, .slot = &AuthConfig::submit,
          .default_text = "", .doc = "Who may submit, resume and cancel leaves (user:NAME, group:NAME).",
          .check = check_principal},
  KeySpec{.scope = Scope::auth, .name = "approve", .kind = Kind::string_list, .slot = &AuthConfig::approve,
          .default_text = "", .doc = "Who may approve and reject gates.",
          .check = check_principal},
  KeySpec{.scope = Scope::auth, .name = "admin", .kind = Kind::string_list, .slot = &AuthConfig::admin,
          .default_text = "", .doc = "Who may do everything (except bypass four_eyes).",
          .check = check_principal},
  KeySpec{.scope = Scope::auth, .name = "read", .kind = Kind::string_list, .slot = &AuthConfig::read,
          .default_text = "", .doc = "Who may read every leaf (status, logs, events, results), besides owners and admins.",
          .check = check_principal},
  KeySpec{.scope = Scope::auth, .name = "metrics", .kind = Kind::string_list, .slot = &AuthConfig::metrics,
          .default_text = "", .doc = "Who may scrape GET /metrics (besides admins); the role grants nothing else.",
          .check = check_principal},
  KeySpec{.scope = Scope::auth, .name = "workdir_roots", .kind = Kind::string_list, .slot = &AuthConfig::workdir_roots,
          .default_text = "", .doc = "A --workdir must lie under one of these directories; [] = anywhere its user may write.",
          .check = check_absolute_dir},

  // [auth.tokens.NAME]
  KeySpec{.scope = Scope::auth_token, .name = "token", .kind = Kind::token, .slot = &TokenGrant::sha256_hex,
          .default_text = "", .doc = "The bearer token in plain text (min. 8 chars); kept only as its SHA-256.",
          .hidden = true},
  KeySpec{.scope = Scope::auth_token, .name = "sha256", .kind = Kind::sha256, .slot = &TokenGrant::sha256_hex,
          .default_text = "", .doc = "SHA-256 of the bearer token, hex (instead of token)."},
  KeySpec{.scope = Scope::auth_token, .name = "roles", .kind = Kind::string_list, .slot = &TokenGrant::roles,
          .default_text = "", .doc = "Roles of the token's bearer: submit, approve, admin, read, metrics.",
          .check = check_role, .required = always},
  KeySpec{.scope = Scope::auth_token, .name = "run_as", .kind = Kind::string, .slot = &TokenGrant::run_as,
          .default_text = "", .doc = "The account whose permissions the token's leaves run with (root daemon); \"\" = fresh workspaces only.",
          .check = check_user_name},

  // [redaction]
  KeySpec{.scope = Scope::redaction, .name = "patterns", .kind = Kind::string_list, .slot = &Config::redaction_patterns,
          .default_text = "", .doc = "More secrets to redact: ECMAScript regular expressions, matched within each line.",
          .check = check_regex},

  // [models.NAME]
  KeySpec{.scope = Scope::model, .name = "provider", .kind = Kind::choice, .slot = &ModelProfile::provider,
          .default_text = "anthropic", .doc = "Which API this model speaks.",
          .choices = "anthropic|openai|replay", .required = always},
  KeySpec{.scope = Scope::model, .name = "base_url", .kind = Kind::string, .slot = &ModelProfile::base_url,
          .doc = "API base URL (anthropic: without /v1; openai: with /v1). Unused by replay.",
          .check = check_url, .derive = derive_base_url},
  KeySpec{.scope = Scope::model, .name = "model", .kind = Kind::string, .slot = &ModelProfile::model,
          .default_text = "", .doc = "The provider's model name (required unless replay).",
          .required = unless_replay},
  KeySpec{.scope = Scope::model, .name = "api_key_env", .kind = Kind::string, .slot = &ModelProfile::api_key_env,
          .doc = "Environment variable holding the API key; \"\" sends no key. Default: ANTHROPIC_API_KEY, OPENAI_API_KEY for api.openai.com, none (a keyless server) for openai at another base_url.",
          .check = check_env_name, .derive = derive_api_key_env},
  KeySpec{.scope = Scope::model, .name = "max_tokens", .kind = Kind::integer, .slot = &ModelProfile::max_tokens,
          .default_text = "4096", .doc = "Most output tokens per model response.",
          .min = 1, .max = 1'000'000},
  KeySpec{.scope = Scope::model, .name = "file", .kind = Kind::path, .slot = &ModelProfile::file,
          .default_text = "", .doc = "replay: the recorded responses (relative to this file's directory).",
          .required = if_replay},
  KeySpec{.scope = Scope::model, .name = "timeout", .kind = Kind::duration, .slot = &ModelProfile::request_timeout_ms,
          .default_text = "5m", .doc = "Timeout of one HTTP attempt.",
          .min = k_sec, .max = k_hour},
  KeySpec{.scope = Scope::model, .name = "max_attempts", .kind = Kind::integer, .slot = &ModelProfile::max_attempts,
          .default_text = "4", .doc = "Attempts per model call, including the first.",
          .min = 1, .max = 20},
  KeySpec{.scope = Scope::model, .name = "backoff_base", .kind = Kind::duration, .slot = &ModelProfile::backoff_base_ms,
          .default_text = "500ms", .doc = "First retry delay before jitter; doubles per attempt.",
          .min = 0, .max = 10 * 60 * k_sec},
  KeySpec{.scope = Scope::model, .name = "backoff_max", .kind = Kind::duration, .slot = &ModelProfile::backoff_max_ms,
          .default_text = "30s", .doc = "Longest retry delay.",
          .min = 0, .max = k_hour},
  KeySpec{.scope = Scope::model, .name = "price_input_per_mtok", .kind = Kind::decimal, .slot = &ModelProfile::price_input_per_mtok,
          .default_text = "0", .doc = "USD per million input tokens (not cache reads or writes), for budget_usd.",
          .min = 0, .max = 1'000'000},
  KeySpec{.scope = Scope::model, .name = "price_output_per_mtok", .kind = Kind::decimal, .slot = &ModelProfile::price_output_per_mtok,
          .default_text = "0", .doc = "USD per million output tokens.",
          .min = 0, .max = 1'000'000},
  KeySpec{.scope = Scope::model, .name = "price_cache_read_per_mtok", .kind = Kind::decimal, .slot = &ModelProfile::price_cache_read_per_mtok,
          .default_text = "0", .doc = "USD per million input tokens read from the provider's prompt cache.",
          .min = 0, .max = 1'000'000},
  KeySpec{.scope = Scope::model, .name = "price_cache_write_per_mtok", .kind = Kind::decimal, .slot = &ModelProfile::price_cache_write_per_mtok,
          .default_text = "0", .doc = "USD per million input tokens written to the provider's prompt cache.",
          .min = 0, .max = 1'000'000},

  // [sandboxes.NAME]
  KeySpec{.scope = Scope::sandbox, .name = "driver", .kind = Kind::choice, .slot = &SandboxProfile::driver,
          .default_text = "bwrap", .doc = "How tools are isolated.",
          .choices = "bwrap|podman|docker|kubectl|host"},
  KeySpec{.scope = Scope::sandbox, .name = "network", .kind = Kind::boolean, .slot = &SandboxProfile::network,
          .default_text = "false", .doc = "Whether tools may reach the network."},
  KeySpec{.scope = Scope::sandbox, .name = "binary", .kind = Kind::string, .slot = &SandboxProfile::binary,
          .default_text = "", .doc = "The driver's program; \"\" = the driver's name on PATH."},
  KeySpec{.scope = Scope::sandbox, .name = "tool_timeout", .kind = Kind::duration, .slot = &SandboxProfile::tool_timeout_ms,
          .default_text = "2m", .doc = "Default timeout of one tool call; the model may ask for less.",
          .min = k_sec, .max = k_day},
  KeySpec{.scope = Scope::sandbox, .name = "output_cap", .kind = Kind::integer, .slot = &SandboxProfile::output_cap_bytes,
          .default_text = "32768", .doc = "Bytes of each output stream returned to the model (head + tail).",
          .min = 1024, .max = 64 * k_mib},
  KeySpec{.scope = Scope::sandbox, .name = "memory_mb", .kind = Kind::integer, .slot = &SandboxProfile::memory_mb,
          .default_text = "2048", .doc = "Memory limit of the sandbox, MiB.",
          .min = 16, .max = 1 << 20},
  KeySpec{.scope = Scope::sandbox, .name = "pids_max", .kind = Kind::integer, .slot = &SandboxProfile::pids_max,
          .default_text = "512", .doc = "Most processes in the sandbox.",
          .min = 8, .max = 1 << 22},
  KeySpec{.scope = Scope::sandbox, .name = "file_size_mb", .kind = Kind::integer, .slot = &SandboxProfile::file_size_mb,
          .default_text = "1024", .doc = "Largest file a tool may write, MiB.",
          .min = 1, .max = 1 << 20},
  KeySpec{.scope = Scope::sandbox, .name = "cpu_seconds", .kind = Kind::integer, .slot = &SandboxProfile::cpu_seconds,
          .default_text = "0", .doc = "CPU time limit per process, seconds; 0 = unlimited.",
          .min = 0, .max = 1 << 30},
  KeySpec{.scope = Scope::sandbox, .name = "env", .kind = Kind::string_list, .slot = &SandboxProfile::env,
          .default_text = "", .doc = "NAME=VALUE set inside the sandbox (nothing else is passed in).",
          .check = check_env_assignment},
  // [sandboxes.NAME] for podman/docker
  KeySpec{.scope = Scope::sandbox, .name = "global_args", .kind = Kind::string_list, .slot = &SandboxProfile::global_args,
          .default_text = "", .doc = "podman/docker: arguments right after the binary on every call."},
  KeySpec{.scope = Scope::sandbox, .name = "container", .kind = Kind::string, .slot = &SandboxProfile::container,
          .default_text = "", .doc = "podman/docker: existing container to exec into; kubectl: container in the pod."},
  KeySpec{.scope = Scope::sandbox, .name = "image", .kind = Kind::string, .slot = &SandboxProfile::image,
          .default_text = "", .doc = "podman/docker: image of the hardened container created per leaf.",
          .validate = validate_container_or_image},
  KeySpec{.scope = Scope::sandbox, .name = "create_args", .kind = Kind::string_list, .slot = &SandboxProfile::create_args,
          .default_text = "", .doc = "podman/docker: extra arguments for the per-leaf `run` call."},
  KeySpec{.scope = Scope::sandbox, .name = "user", .kind = Kind::string, .slot = &SandboxProfile::user,
          .default_text = "", .doc = "podman/docker: --user of the per-leaf container; \"\" = the image's."},
  // [sandboxes.NAME] for kubectl
  KeySpec{.scope = Scope::sandbox, .name = "namespace", .kind = Kind::string, .slot = &SandboxProfile::kube_namespace,
          .default_text = "default", .doc = "kubectl: namespace of the pods."},
  KeySpec{.scope = Scope::sandbox, .name = "pod", .kind = Kind::string, .slot = &SandboxProfile::pod,
          .default_text = "", .doc = "kubectl: the pod to exec into."},
  KeySpec{.scope = Scope::sandbox, .name = "selector", .kind = Kind::string, .slot = &SandboxProfile::selector,
          .default_text = "", .doc = "kubectl: label selector of a pool of pods, leased per leaf.",
          .validate = validate_pod_or_selector},
  KeySpec{.scope = Scope::sandbox, .name = "context", .kind = Kind::string, .slot = &SandboxProfile::context,
          .default_text = "", .doc = "kubectl: --context; \"\" = the kubeconfig's current one."},
  KeySpec{.scope = Scope::sandbox, .name = "kubeconfig", .kind = Kind::path, .slot = &SandboxProfile::kubeconfig,
          .default_text = "", .doc = "kubectl: --kubeconfig; \"\" = kubectl's default."},
  KeySpec{.scope = Scope::sandbox, .name = "max_leaves_per_pod", .kind = Kind::integer, .slot = &SandboxProfile::max_leaves_per_pod,
          .default_text = "4", .doc = "kubectl with selector: leaves sharing one pod at once; more wait.",
          .min = 1, .max = 10'000},
  KeySpec{.scope = Scope::sandbox, .name = "request_timeout", .kind = Kind::duration, .slot = &SandboxProfile::request_timeout_ms,
          .default_text = "30s", .doc = "kubectl: --request-timeout of every call.",
          .min = k_sec, .max = k_hour},

  // [schedules.NAME]: when (docs/schedules.md) ...
  KeySpec{.scope = Scope::schedule, .name = "cron", .kind = Kind::string, .slot = &ScheduleConfig::cron,
          .default_text = "", .doc = "5-field cron expression or @hourly/@daily/@weekly/@monthly; or use every.",
          .validate = validate_schedule},
  KeySpec{.scope = Scope::schedule, .name = "every", .kind = Kind::duration, .slot = &ScheduleConfig::every_ms,
          .default_text = "0s", .doc = "Fixed period (at least 1s) instead of cron; 0s = unset.",
          .min = 0, .max = 365 * k_day},
  KeySpec{.scope = Scope::schedule, .name = "timezone", .kind = Kind::string, .slot = &ScheduleConfig::timezone,
          .default_text = "UTC", .doc = "IANA time zone of the cron expression."},
  KeySpec{.scope = Scope::schedule, .name = "overlap", .kind = Kind::choice, .slot = &ScheduleConfig::overlap,
          .default_text = "skip", .doc = "While the previous leaf runs: skip the firing, queue it, or allow it.",
          .choices = "skip|queue|allow"},
  KeySpec{.scope = Scope::schedule, .name = "catch_up", .kind = Kind::choice, .slot = &ScheduleConfig::catch_up,
          .default_text = "none", .doc = "After downtime: fire none of the missed times, or once for all.",
          .choices = "none|once"},
  KeySpec{.scope = Scope::schedule, .name = "jitter", .kind = Kind::duration, .slot = &ScheduleConfig::jitter_ms,
          .default_text = "0s", .doc = "Delay each firing by a stable pseudo-random amount up to this.",
          .min = 0, .max = k_day},
  // ... and what: the leaf template, as the submit flags.
  KeySpec{.scope = Scope::schedule, .name = "prompt", .kind = Kind::string, .slot = &ScheduleConfig::prompt,
          .default_text = "", .doc = "The prompt of each leaf (or prompt_file)."},
  KeySpec{.scope = Scope::schedule, .name = "prompt_file", .kind = Kind::path, .slot = &ScheduleConfig::prompt_file,
          .default_text = "", .doc = "File holding the prompt, read when harnessd starts."},
  KeySpec{.scope = Scope::schedule, .name = "model", .kind = Kind::string, .slot = &ScheduleConfig::model,
          .default_text = "", .doc = "Model profile; \"\" = default."},
  KeySpec{.scope = Scope::schedule, .name = "sandbox", .kind = Kind::string, .slot = &ScheduleConfig::sandbox,
          .default_text = "", .doc = "Sandbox profile; \"\" = default."},
  KeySpec{.scope = Scope::schedule, .name = "policy", .kind = Kind::string, .slot = &ScheduleConfig::policy,
          .default_text = "", .doc = "Policy; \"\" = default."},
  KeySpec{.scope = Scope::schedule, .name = "workdir", .kind = Kind::path, .slot = &ScheduleConfig::workdir,
          .default_text = "", .doc = "Host directory bound as the workspace; \"\" = a fresh one per leaf."},
  KeySpec{.scope = Scope::schedule, .name = "max_turns", .kind = Kind::integer, .slot = &ScheduleConfig::max_turns,
          .default_text = "0", .doc = "Model turns per leaf; 0 = the daemon's max_turns.",
          .min = 0, .max = 10'000},
  KeySpec{.scope = Scope::schedule, .name = "timeout", .kind = Kind::duration, .slot = &ScheduleConfig::timeout_ms,
          .default_text = "0s", .doc = "max_duration of each leaf; 0s = the daemon's timeout.",
          .min = 0, .max = 365 * k_day},
  KeySpec{.scope = Scope::schedule, .name = "token_budget", .kind = Kind::integer, .slot = &ScheduleConfig::token_budget,
          .default_text = "0", .doc = "Token budget of each leaf; 0 = the daemon's token_budget.",
          .min = 0, .max = 1'000'000'000'000},
  KeySpec{.scope = Scope::schedule, .name = "budget_usd", .kind = Kind::decimal, .slot = &ScheduleConfig::budget_usd,
          .default_text = "0", .doc = "USD budget of each leaf; 0 = the daemon's budget_usd.",
          .min = 0, .max = 1'000'000'000},
  KeySpec{.scope = Scope::schedule, .name = "inactivity", .kind = Kind::duration, .slot = &ScheduleConfig::inactivity_ms,
          .default_text = "0s", .doc = "Inactivity limit of each leaf; 0s = the daemon's inactivity.",
          .min = 0, .max = 365 * k_day},
  KeySpec{.scope = Scope::schedule, .name = "labels", .kind = Kind::string_list, .slot = &ScheduleConfig::labels,
          .default_text = "", .doc = "K=V labels of each leaf (schedule=NAME is added).",
          .check = check_label},

  // [notify.NAME] (docs/notifications.md)
  KeySpec{.scope = Scope::notify, .name = "url", .kind = Kind::string, .slot = &NotifierConfig::url,
          .default_text = "", .doc = "POST the gate's JSON here (http:// or https://); \"\" = no POST.",
          .check = check_url, .validate = validate_notifier},
  KeySpec{.scope = Scope::notify, .name = "command", .kind = Kind::string_list, .slot = &NotifierConfig::command,
          .default_text = "", .doc = "Run this argv as the daemon's user with the JSON on stdin; [] = none.",
          .check = check_argv_item},
  KeySpec{.scope = Scope::notify, .name = "secret_env", .kind = Kind::string, .slot = &NotifierConfig::secret_env,
          .default_text = "", .doc = "Environment variable with the HMAC-SHA256 signing secret; \"\" = unsigned.",
          .check = check_env_name},
  KeySpec{.scope = Scope::notify, .name = "timeout", .kind = Kind::duration, .slot = &NotifierConfig::timeout_ms,
          .default_text = "10s", .doc = "Time allowed per attempt (the whole POST, or the command's run).",
          .min = 100, .max = 10 * 60 * k_sec},
  KeySpec{.scope = Scope::notify, .name = "attempts", .kind = Kind::integer, .slot = &NotifierConfig::attempts,
          .default_text = "3", .doc = "Tries on connection errors, timeouts, 5xx and failed commands; 4xx is final.",
          .min = 1, .max = 10},
  KeySpec{.scope = Scope::notify, .name = "retry_backoff", .kind = Kind::duration, .slot = &NotifierConfig::retry_backoff_ms,
          .default_text = "1s", .doc = "Wait before the second try; each further wait is 4 times longer, at most 5m.",
          .min = 10, .max = 10 * 60 * k_sec},
};
// clang-format on

}  // namespace

std::span<const KeySpec> all_keys() {
  return k_keys;
}

const KeySpec* find_key(Scope scope, std::string_view name) {
  for (const KeySpec& k : k_keys)
    if (k.scope == scope && k.name == name) return &k;
  return nullptr;
}

std::string key_names(Scope scope) {
  std::string out;
  for (const KeySpec& k : k_keys) {
    if (k.scope != scope) continue;
    if (!out.empty()) out += ", ";
    out += k.name;
  }
  return out;
}

std::string_view default_system_prompt() {
  return k_system_prompt;
}

}  // namespace harness::config
