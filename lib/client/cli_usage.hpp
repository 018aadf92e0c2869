#pragma once
// The parts of harnessctl's command line CLI11 does not do the way users expect: `help CMD`,
// usage when no command is given, "did you mean" for a typo, ranges stated plainly. Pure
// functions over argv and names, so cli.cpp stays the wiring.

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace harness::client {

// What the first word of argv after the global options asks for.
struct CommandWord {
  enum class Kind { none, known, help, unknown } kind = Kind::none;
  size_t index = 0;  // argv index of the word (for known, help and unknown)
  std::string word;
};

// Scans argv past the global options (`value_flags` take a value unless written `--flag=V`).
// `commands` are the command names and aliases. A `--help`/`--version` before any word gives
// Kind::known with index 0: CLI11 handles those.
CommandWord find_command_word(const std::vector<std::string>& argv,
                              const std::vector<std::string>& value_flags,
                              const std::vector<std::string>& commands);

// The name closest to `word` by edit distance, if it is close enough to be a likely typo.
std::optional<std::string> nearest_name(std::string_view word,
                                        const std::vector<std::string>& names);

// A CLI11 check that an integer is in [lo, hi]: "must be between 1 and 10000".
CLI::Validator between(long long lo, long long hi);
// A CLI11 check that a number is at least `lo`: "must be 0 or more".
CLI::Validator at_least(long long lo);

}  // namespace harness::client
