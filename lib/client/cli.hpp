#pragma once
// harnessctl's command line: the command table (explicit data) and its CLI11 wiring. Lives in
// lib/client rather than in main.cpp so tests can drive the real parser and check that the
// completion scripts match the real flags. main() only supplies the process's streams.

#include <string>
#include <string_view>

#include "lib/client/context.hpp"
#include "lib/client/endpoint.hpp"

namespace harness::client {

// Parses argv and runs the chosen command; returns the exit code. Parse errors are usage errors
// (2); --help and --version print and return 0. `env` supplies HARNESS_*, XDG_RUNTIME_DIR and
// NO_COLOR.
int run_cli(int argc, const char* const* argv, Io io, const EnvLookup& env);

// The completion script for "bash", "zsh" or "fish" generated from the real command table;
// "" for any other shell.
std::string completion_script(std::string_view shell);

}  // namespace harness::client
