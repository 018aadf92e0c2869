// Writes the effective configuration back as TOML, driven by the key table so that every key
// appears, in table order, with its doc line and where its value came from.

#include "lib/config/config.hpp"
#include "lib/config/keys.hpp"
#include "lib/config/value.hpp"

namespace harness::config {
namespace {

void write_keys(std::string& out, const Config& config, Scope scope, const ConstTarget& t,
                const std::string& prefix, bool with_comments) {
  for (const KeySpec& key : all_keys()) {
    if (key.scope != scope || key.hidden) continue;
    std::string line = std::string(key.name) + " = " + render_toml(key, load(key, t));
    if (with_comments) {
      out += "# " + std::string(key.doc) + "\n";
      auto origin = config.origins.find(prefix + std::string(key.name));
      // A token given in plain text is shown by its hash; say where the token came from.
      if (key.scope == Scope::auth_token && key.name == "sha256" &&
          (origin == config.origins.end() || origin->second == "default"))
        origin = config.origins.find(prefix + "token");
      if (origin != config.origins.end()) line += "  # " + origin->second;
    }
    out += line + "\n";
  }
}

template <class Profile>
void write_section(std::string& out, const Config& config, Scope scope,
                   const std::map<std::string, Profile>& profiles, bool with_comments) {
  std::string section = scope == Scope::model ? "models" : "sandboxes";
  for (const auto& [name, profile] : profiles) {
    std::string header = section + "." + name;
    out += "\n[" + header + "]";
    auto origin = config.origins.find(header);
    if (with_comments && origin != config.origins.end()) out += "  # " + origin->second;
    out += "\n";
    ConstTarget t;
    if constexpr (std::is_same_v<Profile, model::ModelProfile>)
      t.model = &profile;
    else
      t.sandbox = &profile;
    write_keys(out, config, scope, t, header + ".", with_comments);
  }
}

// "\n[NAME]  # origin\n" followed by the section's keys.
void write_table(std::string& out, const Config& config, Scope scope, const ConstTarget& t,
                 const std::string& header, bool with_comments) {
  out += "\n[" + header + "]";
  auto origin = config.origins.find(header);
  if (with_comments && origin != config.origins.end()) out += "  # " + origin->second;
  out += "\n";
  write_keys(out, config, scope, t, header + ".", with_comments);
}

void write_policies_and_auth(std::string& out, const Config& config, bool with_comments) {
  for (const auto& [name, policy] : config.policies) {
    ConstTarget t;
    t.policy = &policy;
    write_table(out, config, Scope::policy, t, "policies." + name, with_comments);
  }
  for (const auto& [name, sched] : config.schedules) {
    ConstTarget t;
    t.schedule = &sched;
    write_table(out, config, Scope::schedule, t, "schedules." + name, with_comments);
  }
  for (const auto& [name, notifier] : config.notifiers) {
    ConstTarget t;
    t.notifier = &notifier;
    write_table(out, config, Scope::notify, t, "notify." + name, with_comments);
  }
  if (!config.redaction_patterns.empty() || config.origins.count("redaction"))
    write_table(out, config, Scope::redaction, ConstTarget(&config), "redaction", with_comments);
  if (!config.auth.configured) return;
  ConstTarget t;
  t.auth = &config.auth;
  write_table(out, config, Scope::auth, t, "auth", with_comments);
  for (std::size_t i = 0; i + config.tokens.size() < config.auth.tokens.size(); ++i) {
    // The last tokens.size() grants come from the top-level `tokens`, written above.
    ConstTarget g;
    g.token = &config.auth.tokens[i];
    write_table(out, config, Scope::auth_token, g, "auth.tokens." + g.token->name, with_comments);
  }
}

}  // namespace

std::string to_toml(const Config& config, bool with_comments) {
  std::string out;
  if (with_comments) {
    out += "# harnessd effective configuration; trailing comments say where each value came from";
    out += config.source.empty() ? " (no config file).\n" : " (file: " + config.source + ").\n";
  }
  write_keys(out, config, Scope::top, ConstTarget(&config), "", with_comments);
  write_section(out, config, Scope::model, config.models, with_comments);
  write_section(out, config, Scope::sandbox, config.sandboxes, with_comments);
  write_policies_and_auth(out, config, with_comments);
  return out;
}

std::string to_toml(const Config& config) {
  return to_toml(config, true);
}

}  // namespace harness::config
