#pragma once
// Pure helpers behind the tools (their inputs are parsed by model::parse_tool_input): workspace
// paths, shell quoting, globbing and line numbering. No I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/result.hpp"
#include "lib/model/leaf.hpp"

namespace harness::sandbox::tool_util {

// The absolute in-sandbox path for `input` (relative to `workspace`, or absolute inside it),
// lexically normalised. bad_request when it is empty, contains NUL, or escapes the workspace.
Result<std::string> resolve_path(std::string_view workspace, std::string_view input);
// `path` relative to the workspace for display ("." for the workspace itself).
std::string display_path(std::string_view workspace, std::string_view path);
// `s` as one single-quoted sh word.
std::string shell_quote(std::string_view s);
// Whether `rel` (a path relative to the search root) matches `glob`: a glob without '/' matches
// the file name; otherwise the whole path, where '*' also crosses '/' and "**/" may match nothing.
bool glob_match(std::string_view glob, std::string_view rel);
// `cat -n` style: each line as "%6d\t<line>\n", numbered from `first_line`.
std::string number_lines(std::string_view text, std::int64_t first_line);
// Splits on '\n', dropping one trailing empty piece.
std::vector<std::string_view> split_lines(std::string_view text);

}  // namespace harness::sandbox::tool_util
