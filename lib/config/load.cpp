// Layering: defaults < file < environment < flags, then computed defaults (derive) for keys no
// layer set, then checks of required keys. Each stored value records its origin.

#include <filesystem>
#include <system_error>

#include "lib/base/fs.hpp"
#include "lib/config/config.hpp"
#include "lib/config/keys.hpp"
#include "lib/config/toml_reader.hpp"
#include "lib/config/value.hpp"

namespace harness::config {
namespace {

constexpr std::string_view k_default = "default";
constexpr size_t k_max_config_bytes = 4u << 20;

std::string_view section_of(Scope scope) {
  return scope == Scope::model ? "models" : "sandboxes";
}

bool is_profile_name(std::string_view s) {
  return !s.empty() && s.find_first_not_of(
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789_-") == std::string_view::npos;
}

Error located(const std::string& location, std::string_view key, const Error& e) {
  return make_error(e.code, location + ": " + std::string(key) + ": " + e.message);
}

class Loader {
 public:
  Loader(const Environment& env, std::string source) : m_env(env), m_source(std::move(source)) {
    auto slash = m_source.rfind('/');
    if (slash != std::string::npos) m_base_dir = m_source.substr(0, slash + 1);
    m_config.source = m_source;
  }

  Result<Config> run(std::string_view text, const Overrides& flags) {
    HARNESS_TRY(apply_static_defaults(Scope::top, Target{&m_config}, ""));
    HARNESS_TRY(apply_static_defaults(Scope::redaction, Target{&m_config}, "redaction."));
    HARNESS_TRY_ASSIGN(auto entries, read_toml(text, m_source));
    for (const TomlEntry& e : entries) HARNESS_TRY(read_entry(e));
    HARNESS_TRY(apply_environment());
    HARNESS_TRY(apply_flags(flags));
    HARNESS_TRY(finish(Scope::top, Target{&m_config}, ""));
    HARNESS_TRY(finish_auth());
    HARNESS_TRY(finish_notifiers());
    for (auto& [name, profile] : m_config.models)
      HARNESS_TRY(finish(Scope::model, Target{nullptr, &profile}, "models." + name + "."));
    if (!m_config.sandboxes.count("default")) HARNESS_TRY(add_builtin_sandbox());
    for (auto& [name, profile] : m_config.sandboxes)
      HARNESS_TRY(
          finish(Scope::sandbox, Target{nullptr, nullptr, &profile}, "sandboxes." + name + "."));
    return std::move(m_config);
  }

 private:
  // Checks and stores one value; `location` prefixes errors, `origin` is recorded.
  Status apply(const KeySpec& key, const Target& t, const std::string& full_name,
               const RawValue& raw, const std::string& origin, const std::string& location) {
    auto value = convert(key, raw);
    if (!value) return located(location, full_name, value.error());
    if (auto* s = std::get_if<std::string>(&*value); s && key.kind == Kind::path)
      *s = resolve_path(*s, origin);
    store(key, t, *value);
    m_config.origins[full_name] = origin;
    return {};
  }

  // Every path is made absolute once, here: the daemon never depends on its cwd later (a leaf's
  // bind mounts and the socket's clients need absolute paths). Relative paths in the file mean
  // relative to the file's directory; from a flag or the environment, to the working directory.
  std::string resolve_path(const std::string& p, const std::string& origin) const {
    if (p.empty() || p[0] == '/') return p;
    bool from_file =
        origin != k_default && !origin.starts_with("env ") && !origin.starts_with("flag ");
    std::string rel = p.starts_with("./") ? p.substr(2) : p;
    if (from_file && !m_base_dir.empty()) rel = m_base_dir + rel;
    if (!rel.empty() && rel[0] == '/') return rel;
    std::error_code ec;
    std::filesystem::path base =
        m_env.cwd.empty() ? std::filesystem::current_path(ec) : std::filesystem::path(m_env.cwd);
    if (ec) return rel;
    return (base / rel).lexically_normal().string();
  }

  Status apply_static_defaults(Scope scope, const Target& t, const std::string& prefix) {
    for (const KeySpec& key : all_keys()) {
      if (key.scope != scope || key.derive) continue;
      HARNESS_TRY(apply(key, t, prefix + std::string(key.name),
                        RawValue::from_text(key.default_text), std::string(k_default),
                        "built-in default"));
    }
    return {};
  }

  std::string location(const TomlEntry& e) const {
    return m_source + ":" + std::to_string(e.line) + ":" + std::to_string(e.column);
  }
  std::string origin(const TomlEntry& e) const { return m_source + ":" + std::to_string(e.line); }

  Status read_entry(const TomlEntry& e) {
    const std::string& head = e.path[0];
    if (head == "policies") return read_policy_entry(e);
    if (head == "schedules") return read_schedule_entry(e);
    if (head == "notify") return read_notify_entry(e);
    if (head == "auth") return read_auth_entry(e);
    if (head == "redaction") return read_redaction_entry(e);
    if (head == "models" || head == "sandboxes") {
      Scope scope = head == "models" ? Scope::model : Scope::sandbox;
      if (e.path.size() == 1) {
        if (!e.is_table) return error_at(e, head, "expected tables [" + head + ".NAME]");
        return {};
      }
      if (e.path.size() == 2) return open_profile(scope, e);
      return read_profile_key(scope, e);
    }
    const KeySpec* key = find_key(Scope::top, head);
    if (!key)
      return error_at(e, head,
                      "unknown key (allowed at the top level: " + key_names(Scope::top) +
                          ", [models.NAME], [sandboxes.NAME], [policies.NAME], [schedules.NAME], "
                          "[notify.NAME], [auth], [redaction])");
    return apply(*key, Target{&m_config}, head, value_of(e), origin(e), location(e));
  }

  static RawValue value_of(const TomlEntry& e) {
    return e.is_table ? RawValue{RawValue::Type::other, "table"} : e.value;
  }

  Status error_at(const TomlEntry& e, const std::string& key, const std::string& message) {
    return make_error(ErrorCode::invalid, location(e) + ": " + key + ": " + message);
  }

  Status open_profile(Scope scope, const TomlEntry& e) {
    std::string full = std::string(section_of(scope)) + "." + e.path[1];
    if (!e.is_table) return error_at(e, full, "expected a table of settings");
    if (!is_profile_name(e.path[1]))
      return error_at(e, full, "profile names may use letters, digits, '_' and '-'");
    m_config.origins[full] = origin(e);
    Target t;
    if (scope == Scope::model) {
      t.model = &m_config.models[e.path[1]];
      t.model->name = e.path[1];
    } else {
      t.sandbox = &m_config.sandboxes[e.path[1]];
      t.sandbox->name = e.path[1];
    }
    return apply_static_defaults(scope, t, full + ".");
  }

  Status read_profile_key(Scope scope, const TomlEntry& e) {
    std::string full = std::string(section_of(scope)) + "." + e.path[1] + "." + e.path[2];
    const KeySpec* key = find_key(scope, e.path[2]);
    if (!key)
      return error_at(e, full,
                      "unknown key (allowed in [" + std::string(section_of(scope)) +
                          ".NAME]: " + key_names(scope) + ")");
    Target t;
    if (scope == Scope::model)
      t.model = &m_config.models.at(e.path[1]);
    else
      t.sandbox = &m_config.sandboxes.at(e.path[1]);
    return apply(*key, t, full, value_of(e), origin(e), location(e));
  }

  // [policies.NAME] and its keys.
  Status read_policy_entry(const TomlEntry& e) {
    if (e.path.size() == 1) {
      if (!e.is_table) return error_at(e, "policies", "expected tables [policies.NAME]");
      return {};
    }
    std::string section = "policies." + e.path[1];
    if (e.path.size() == 2) {
      HARNESS_TRY(open_section(e, section));
      model::Policy& p = m_config.policies[e.path[1]];
      p.name = e.path[1];
      return apply_static_defaults(Scope::policy, policy_target(p), section + ".");
    }
    return read_section_key(e, Scope::policy, section,
                            policy_target(m_config.policies.at(e.path[1])));
  }

  // [schedules.NAME] and its keys.
  Status read_schedule_entry(const TomlEntry& e) {
    if (e.path.size() == 1) {
      if (!e.is_table) return error_at(e, "schedules", "expected tables [schedules.NAME]");
      return {};
    }
    std::string section = "schedules." + e.path[1];
    Target t;
    if (e.path.size() == 2) {
      HARNESS_TRY(open_section(e, section));
      ScheduleConfig& s = m_config.schedules[e.path[1]];
      s.name = e.path[1];
      t.schedule = &s;
      return apply_static_defaults(Scope::schedule, t, section + ".");
    }
    t.schedule = &m_config.schedules.at(e.path[1]);
    return read_section_key(e, Scope::schedule, section, t);
  }

  // [notify.NAME] and its keys.
  Status read_notify_entry(const TomlEntry& e) {
    if (e.path.size() == 1) {
      if (!e.is_table) return error_at(e, "notify", "expected tables [notify.NAME]");
      return {};
    }
    std::string section = "notify." + e.path[1];
    Target t;
    if (e.path.size() == 2) {
      HARNESS_TRY(open_section(e, section));
      NotifierConfig& n = m_config.notifiers[e.path[1]];
      n.name = e.path[1];
      t.notifier = &n;
      return apply_static_defaults(Scope::notify, t, section + ".");
    }
    t.notifier = &m_config.notifiers.at(e.path[1]);
    return read_section_key(e, Scope::notify, section, t);
  }

  // After every section is read: each notifier checked and its secret read from the
  // environment (a secret_env that is unset is an error now, not a silently unsigned POST
  // later); every name a policy's `notify` lists must be a [notify.NAME].
  Status finish_notifiers() {
    for (auto& [name, n] : m_config.notifiers) {
      Target t;
      t.notifier = &n;
      std::string section = "notify." + name;
      HARNESS_TRY(finish(Scope::notify, t, section + "."));
      if (n.secret_env.empty()) continue;
      n.secret = m_env.get(n.secret_env);
      if (n.secret.empty())
        return make_error(ErrorCode::invalid, m_config.origins[section + ".secret_env"] + ": [" +
                                                  section +
                                                  "]: secret_env: the environment "
                                                  "variable " +
                                                  n.secret_env + " is unset or empty");
    }
    for (const auto& [name, p] : m_config.policies)
      for (const std::string& notifier : p.notify)
        if (!m_config.notifiers.count(notifier)) {
          std::string key = "policies." + name + ".notify";
          return make_error(ErrorCode::invalid, m_config.origins[key] + ": " + key +
                                                    ": unknown notifier '" + notifier +
                                                    "' (configured: " + notifier_names() + ")");
        }
    return {};
  }

  std::string notifier_names() const {
    std::string out;
    for (const auto& [name, n] : m_config.notifiers) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? "none" : out;
  }

  static Target policy_target(model::Policy& p) {
    Target t;
    t.policy = &p;
    return t;
  }

  // [auth], its keys, and [auth.tokens.NAME] with its keys.
  Status read_auth_entry(const TomlEntry& e) {
    AuthConfig& auth = m_config.auth;
    Target t;
    t.auth = &auth;
    if (e.path.size() == 1) {
      if (!e.is_table) return error_at(e, "auth", "expected a table [auth]");
      auth.configured = true;
      m_config.origins["auth"] = origin(e);
      return apply_static_defaults(Scope::auth, t, "auth.");
    }
    if (e.path[1] != "tokens") return read_section_key(e, Scope::auth, "auth", t);
    if (e.path.size() == 2) {
      if (!e.is_table) return error_at(e, "auth.tokens", "expected tables [auth.tokens.NAME]");
      return {};
    }
    std::string section = "auth.tokens." + e.path[2];
    if (e.path.size() == 3) {
      HARNESS_TRY(open_section(e, section));
      if (is_reserved_token_name(e.path[2]))
        return error_at(e, section, "names token-N are reserved for the top-level tokens");
      auth.tokens.push_back(TokenGrant{e.path[2], {}, {}, {}});
      t.token = &auth.tokens.back();
      return apply_static_defaults(Scope::auth_token, t, section + ".");
    }
    t.token = find_token(e.path[2]);
    return read_section_key(e, Scope::auth_token, section, t);
  }

  // [redaction] and its keys.
  Status read_redaction_entry(const TomlEntry& e) {
    if (e.path.size() == 1) {
      if (!e.is_table) return error_at(e, "redaction", "expected a table [redaction]");
      m_config.origins["redaction"] = origin(e);
      return {};
    }
    return read_section_key(e, Scope::redaction, "redaction", Target{&m_config});
  }

  static bool is_reserved_token_name(std::string_view name) {
    return name.starts_with("token-") && name.size() > 6 &&
           name.find_first_not_of("0123456789", 6) == std::string_view::npos;
  }

  TokenGrant* find_token(const std::string& name) {
    for (TokenGrant& g : m_config.auth.tokens)
      if (g.name == name) return &g;
    HARNESS_ASSERT(false);  // the table entry comes before its keys
    return nullptr;
  }

  // A named section header: a table with a usable name; records where it was declared.
  Status open_section(const TomlEntry& e, const std::string& section) {
    if (!e.is_table) return error_at(e, section, "expected a table of settings");
    if (!is_profile_name(e.path.back()))
      return error_at(e, section, "names may use letters, digits, '_' and '-'");
    m_config.origins[section] = origin(e);
    return {};
  }

  Status read_section_key(const TomlEntry& e, Scope scope, const std::string& section,
                          const Target& t) {
    std::string full = section + "." + e.path[section_depth(scope)];
    const KeySpec* key = find_key(scope, e.path[section_depth(scope)]);
    if (!key || e.path.size() > section_depth(scope) + 1)
      return error_at(
          e, full,
          "unknown key (allowed in [" + section_pattern(scope) + "]: " + key_names(scope) + ")");
    return apply(*key, t, full, value_of(e), origin(e), location(e));
  }

  static std::size_t section_depth(Scope scope) {
    if (scope == Scope::auth || scope == Scope::redaction) return 1;
    return scope == Scope::auth_token ? 3 : 2;
  }

  static std::string section_pattern(Scope scope) {
    if (scope == Scope::auth) return "auth";
    if (scope == Scope::redaction) return "redaction";
    if (scope == Scope::auth_token) return "auth.tokens.NAME";
    if (scope == Scope::schedule) return "schedules.NAME";
    if (scope == Scope::notify) return "notify.NAME";
    return "policies.NAME";
  }

  // Required keys of [policies.*] and [auth.tokens.*]; a token given exactly once (token or
  // sha256) and not twice under two names; then the top-level tokens as grants of every role.
  Status finish_auth() {
    for (auto& [name, p] : m_config.policies)
      HARNESS_TRY(finish(Scope::policy, policy_target(p), "policies." + name + "."));
    for (auto& [name, sc] : m_config.schedules) {
      Target t;
      t.schedule = &sc;
      HARNESS_TRY(finish(Scope::schedule, t, "schedules." + name + "."));
    }
    std::map<std::string, std::string> seen;  // hash -> grant name
    for (TokenGrant& g : m_config.auth.tokens) {
      Target t;
      t.token = &g;
      std::string section = "auth.tokens." + g.name;
      HARNESS_TRY(finish(Scope::auth_token, t, section + "."));
      bool plain = m_config.origins[section + ".token"] != k_default;
      bool hashed = m_config.origins[section + ".sha256"] != k_default;
      if (plain == hashed)
        return make_error(ErrorCode::invalid, m_config.origins[section] + ": [" + section +
                                                  "] needs exactly one of 'token' or 'sha256'");
      if (!seen.emplace(g.sha256_hex, g.name).second)
        return make_error(ErrorCode::invalid, m_config.origins[section] + ": [" + section +
                                                  "] has the same token as [auth.tokens." +
                                                  seen[g.sha256_hex] + "]");
    }
    for (std::size_t i = 0; i < m_config.tokens.size(); ++i)
      m_config.auth.tokens.push_back(TokenGrant{"token-" + std::to_string(i + 1),
                                                m_config.tokens[i],
                                                {"submit", "approve", "admin"},
                                                {}});
    return {};
  }

  Status apply_environment() {
    for (const KeySpec& key : all_keys()) {
      if (key.env.empty()) continue;
      std::string value = m_env.get(key.env);
      if (value.empty()) continue;
      std::string name(key.env);
      HARNESS_TRY(apply(key, Target{&m_config}, std::string(key.name), RawValue::from_text(value),
                        "env " + name, "environment " + name));
    }
    return {};
  }

  Status apply_flags(const Overrides& flags) {
    for (const KeySpec& key : all_keys()) {
      if (!key.flag || !(flags.*key.flag)) continue;
      std::string name = "flag " + std::string(key.flag_name);
      HARNESS_TRY(apply(key, Target{&m_config}, std::string(key.name),
                        RawValue::from_text(*(flags.*key.flag)), name, name));
    }
    return {};
  }

  // Computed defaults for keys no layer set, then required keys.
  Status finish(Scope scope, const Target& t, const std::string& prefix) {
    for (const KeySpec& key : all_keys()) {
      std::string full = prefix + std::string(key.name);
      if (key.scope != scope || !key.derive || m_config.origins.count(full)) continue;
      HARNESS_TRY_ASSIGN(std::string text, key.derive(t, m_env));
      HARNESS_TRY(apply(key, t, full, RawValue::from_text(text), std::string(k_default),
                        "computed default"));
    }
    for (const KeySpec& key : all_keys()) {
      if (key.scope != scope || !key.required || !key.required(t)) continue;
      std::string full = prefix + std::string(key.name);
      Value v = load(key, t);
      auto* s = std::get_if<std::string>(&v);
      if (m_config.origins[full] != k_default && !(s && s->empty())) continue;
      std::string section = prefix.substr(0, prefix.size() - 1);
      return make_error(ErrorCode::invalid, m_config.origins[section] + ": [" + section +
                                                "] needs '" + std::string(key.name) +
                                                "': " + std::string(key.doc));
    }
    return validate(scope, t, prefix);
  }

  // Cross-key checks (validate): reported where the key was set, else where its section was.
  Status validate(Scope scope, const Target& t, const std::string& prefix) {
    for (const KeySpec& key : all_keys()) {
      if (key.scope != scope || !key.validate) continue;
      std::string problem = key.validate(t);
      if (problem.empty()) continue;
      std::string full = prefix + std::string(key.name);
      std::string section = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
      std::string where = m_config.origins[full];
      if (where == k_default) where = m_config.origins[section];
      return make_error(ErrorCode::invalid, where + ": [" + section + "]: " + problem);
    }
    return {};
  }

  Status add_builtin_sandbox() {
    model::SandboxProfile& sb = m_config.sandboxes["default"];
    sb.name = "default";
    m_config.origins["sandboxes.default"] = k_default;
    return apply_static_defaults(Scope::sandbox, Target{nullptr, nullptr, &sb},
                                 "sandboxes.default.");
  }

  const Environment& m_env;
  std::string m_source;
  std::string m_base_dir;  // with a trailing '/', or "" when the source has no directory
  Config m_config;
};

}  // namespace

Result<Config> parse_config(std::string_view toml_text, const std::string& source_name,
                            const Overrides& flags, const Environment& env) {
  return Loader(env, source_name).run(toml_text, flags);
}

Result<Config> parse_config(std::string_view toml_text, const std::string& source_name,
                            const Overrides& flags) {
  return parse_config(toml_text, source_name, flags, Environment::from_process());
}

Result<Config> load_config(const std::string& path, const Overrides& flags,
                           const Environment& env) {
  std::string file = path.empty() ? default_config_path(env) : path;
  std::error_code ec;
  bool exists = std::filesystem::exists(file, ec);
  if (!exists && !path.empty())
    return make_error(ErrorCode::not_found, "config file " + path + " does not exist");
  if (!exists) return parse_config("", "", flags, env);
  std::string absolute = std::filesystem::absolute(file, ec).string();
  if (ec) absolute = file;
  auto text = read_file(absolute, k_max_config_bytes);
  if (!text) return text.error();
  return parse_config(*text, absolute, flags, env);
}

Result<Config> load_config(const std::string& path, const Overrides& flags) {
  return load_config(path, flags, Environment::from_process());
}

}  // namespace harness::config
