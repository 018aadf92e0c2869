#pragma once
// Shell completion scripts (bash, zsh, fish) generated from a neutral description of the
// command line, which cli.cpp derives from the real CLI11 definition, so the scripts always
// match the real flags. The committed share/completions/ files are this output.

#include <string>
#include <vector>

namespace harness::client {

enum class ValueKind { none, text, file, dir, choice };

struct FlagSpec {
  std::vector<std::string> names;  // "-o", "--output"
  std::string help;
  ValueKind value = ValueKind::none;
  std::vector<std::string> choices;  // for ValueKind::choice
  bool repeatable = false;
};

struct CommandSpec {
  std::string name;
  std::vector<std::string> aliases;
  std::string help;
  std::vector<FlagSpec> flags;
  std::vector<std::string> positional_choices;  // e.g. completion's shells
  // Positionals complete with the ids `harnessctl __complete ARGS` prints ("leaves --state
  // gated", "sessions"); empty = none.
  std::string dynamic_ids;
};

struct CliSpec {
  std::string program;
  std::vector<FlagSpec> global;
  std::vector<CommandSpec> commands;
};

std::string bash_completion(const CliSpec& spec);
std::string zsh_completion(const CliSpec& spec);
std::string fish_completion(const CliSpec& spec);

}  // namespace harness::client
