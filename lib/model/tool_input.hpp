#pragma once
// The tools' inputs as typed structs, parsed once from the model's JSON before any use (policy
// matching, gates and previews, execution). The model is an adversary as far as the daemon is
// concerned: any JSON must come back as a value or an error naming the field, never a throw.
// No I/O; safe to call from any thread and from a fuzz target.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "lib/base/result.hpp"
#include "lib/model/json.hpp"

namespace harness::model {

struct BashInput {
  std::string command;
  std::optional<double> timeout_s;  // finite, > 0, at most k_max_tool_timeout_s
};
struct ReadFileInput {
  std::string path;
  std::optional<std::int64_t> offset;  // 1-based first line
  std::optional<std::int64_t> limit;   // lines
};
struct WriteFileInput {
  std::string path;
  std::string content;
};
struct EditFileInput {
  std::string path;
  std::string old_text;  // non-empty
  std::string new_text;  // differs from old_text
  bool replace_all = false;
};
struct ListFilesInput {
  std::optional<std::string> path;
  std::optional<std::string> glob;  // never empty (an empty glob reads as none)
};
struct GrepInput {
  std::string pattern;  // non-empty
  std::optional<std::string> path;
  std::optional<std::string> glob;  // never empty
};
struct RequestApprovalInput {
  std::string summary;
  std::string proposed_action;
};

using ToolInput = std::variant<BashInput, ReadFileInput, WriteFileInput, EditFileInput,
                               ListFilesInput, GrepInput, RequestApprovalInput>;

// The largest bash timeout_s accepted (365 days); larger values are an error, not a clamp.
inline constexpr double k_max_tool_timeout_s = 365.0 * 24 * 3600;
// The largest read_file offset/limit accepted.
inline constexpr std::int64_t k_max_line_number = 1'000'000'000'000'000;

// Parses the input of a call of `tool` (one of SPEC §5's seven tools). A null field counts as
// absent; a field the tool does not know is an error. bad_request with a message for the model
// naming the tool and the field, e.g. "bash: `command` must be a string", or "unknown tool X".
Result<ToolInput> parse_tool_input(std::string_view tool, const Json& input);

}  // namespace harness::model
