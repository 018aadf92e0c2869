#pragma once
// API keys from systemd credentials. A model profile names its key by an environment variable
// (api_key_env, e.g. ANTHROPIC_API_KEY). When that variable is unset or empty and systemd passed
// a credential of the same name (LoadCredential=ANTHROPIC_API_KEY:/etc/harness/anthropic.key),
// the key is read from $CREDENTIALS_DIRECTORY/ANTHROPIC_API_KEY instead. Blocking file reads.

#include <map>
#include <string>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/config/config.hpp"
#include "lib/config/environment.hpp"

namespace harness::config {

// {variable: key} for each api_key_env of `cfg` that `env` leaves unset or empty and that
// $CREDENTIALS_DIRECTORY holds as a file; trailing whitespace (the file's newline) is dropped,
// an empty file counts as absent. invalid naming the file when one cannot be read or is over
// 64 KiB. Without $CREDENTIALS_DIRECTORY: empty.
Result<std::map<std::string, std::string>> find_credentials(const Config& cfg,
                                                            const Environment& env);

// find_credentials() on the process environment, then setenv() of each, so the model client and
// doctor see the key where they look for it. Returns the variables set. setenv is not
// thread-safe: call it before any thread starts.
Result<std::vector<std::string>> import_credentials(const Config& cfg);

}  // namespace harness::config
