#include "lib/agent/redaction.hpp"

#include <memory>
#include <set>

#include "lib/config/sha256.hpp"

namespace harness::agent {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The store URL's password, raw and %-decoded (what a client sends to the server).
void add_store_password(const std::string& url, model::Redactor::Options& o) {
  std::string raw = model::url_password(url);
  if (raw.empty()) return;
  o.literals.push_back({raw, "store_password"});
  if (std::string decoded = percent_decoded(raw); decoded != raw)
    o.literals.push_back({decoded, "store_password"});
}

}  // namespace

Result<BuiltRedactor> build_redactor(const config::Config& cfg, const config::Environment& env) {
  model::Redactor::Options o;
  std::vector<std::string> warnings;
  std::set<std::string> seen;
  for (const auto& [name, profile] : cfg.models) {
    const std::string& var = profile.api_key_env;
    if (var.empty() || !seen.insert(var).second) continue;
    std::string value = env.get(var);
    if (value.empty()) continue;
    if (value.size() < model::Redactor::k_min_literal)
      warnings.push_back("$" + var + " is shorter than " +
                         std::to_string(model::Redactor::k_min_literal) +
                         " bytes and is not redacted from events");
    o.literals.push_back({value, "env:" + var});
  }
  add_store_password(cfg.store, o);
  for (const auto& l : o.literals)
    if (l.kind == "store_password" && l.value.size() < model::Redactor::k_min_literal)
      warnings.push_back("the store URL's password is too short to be redacted from events");
  auto hashes = std::make_shared<std::set<std::string>>();
  for (const auto& g : cfg.auth.tokens) hashes->insert(g.sha256_hex);
  if (!hashes->empty())
    o.is_secret_word = [hashes](std::string_view w) {
      return hashes->count(config::sha256_hex(w)) > 0;
    };
  o.patterns = cfg.redaction_patterns;
  HARNESS_TRY_ASSIGN(model::Redactor r, model::Redactor::make(std::move(o)));
  return BuiltRedactor{std::move(r), std::move(warnings)};
}

void redact_spec(const model::Redactor& r, model::LeafSpec& spec) {
  if (auto p = r.redact(spec.prompt)) spec.prompt = std::move(*p);
  for (auto& [key, value] : spec.labels)
    if (auto v = r.redact(value)) value = std::move(*v);
}

}  // namespace harness::agent
