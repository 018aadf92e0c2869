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
    if (key.scope != scope) continue;
    std::string line = std::string(key.name) + " = " + render_toml(key, load(key, t));
    if (with_comments) {
      out += "# " + std::string(key.doc) + "\n";
      auto origin = config.origins.find(prefix + std::string(key.name));
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
  return out;
}

std::string to_toml(const Config& config) {
  return to_toml(config, true);
}

}  // namespace harness::config
