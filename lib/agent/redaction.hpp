#pragma once
// The daemon's Redactor, built once at start from the config (docs/security.md "Redaction"),
// and its use on what a submit writes. Building reads the process environment; the rest is
// pure.

#include <string>
#include <vector>

#include "lib/config/config.hpp"
#include "lib/config/environment.hpp"
#include "lib/model/leaf.hpp"
#include "lib/model/redactor.hpp"

namespace harness::agent {

struct BuiltRedactor {
  model::Redactor redactor;
  std::vector<std::string> warnings;  // secrets too short to redact, for the log
};

// Redacts the credential shapes plus: the value of every model profile's api_key_env in `env`
// (kind "env:NAME"), the store URL's password ("store_password"), the bearer tokens of [auth]
// (recognised by their SHA-256, "bearer_token"), and [redaction] patterns ("pattern").
// invalid for a pattern that does not compile (the config loader has checked them already).
Result<BuiltRedactor> build_redactor(const config::Config& cfg, const config::Environment& env);

// Redacts what a submitter wrote: the prompt and the label values.
void redact_spec(const model::Redactor& r, model::LeafSpec& spec);

}  // namespace harness::agent
