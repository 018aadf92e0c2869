// Loop thread only: tools chain channel round trips through completion callbacks.
#include "lib/sandbox/tools.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <variant>

#include "lib/base/utf8.hpp"
#include "lib/sandbox/tool_impl.hpp"
#include "lib/sandbox/tool_util.hpp"

namespace harness::sandbox {
namespace {

using model::Json;

Json schema(Json properties, std::vector<std::string> required) {
  return Json{{"type", "object"},
              {"properties", std::move(properties)},
              {"required", std::move(required)},
              {"additionalProperties", false}};
}

Json str(const char* description) {
  return Json{{"type", "string"}, {"description", description}};
}

Json integer(const char* description) {
  return Json{{"type", "integer"}, {"minimum", 1}, {"description", description}};
}

std::string with_newline(std::string s) {
  if (!s.empty() && s.back() != '\n') s += '\n';
  return s;
}

}  // namespace

std::vector<model::ToolSpec> tool_specs() {
  return {
      {"bash",
       "Run a shell command (POSIX sh) in the sandbox, in the workspace directory. Returns the "
       "exit code, stdout and stderr; long output keeps its head and tail.",
       schema({{"command", str("The command to run.")},
               {"timeout_s", Json{{"type", "number"},
                                  {"exclusiveMinimum", 0},
                                  {"maximum", model::k_max_tool_timeout_s},
                                  {"description", "Timeout in seconds (at most the default)."}}}},
              {"command"})},
      {"read_file", "Read a text file of the workspace; returns numbered lines.",
       schema({{"path", str("File path, relative to the workspace.")},
               {"offset", integer("First line to return (1-based). Default 1.")},
               {"limit", integer("How many lines to return. Default 2000.")}},
              {"path"})},
      {"write_file", "Create or replace a file in the workspace (parent directories are created).",
       schema({{"path", str("File path, relative to the workspace.")},
               {"content", str("The complete new content of the file.")}},
              {"path", "content"})},
      {"edit_file",
       "Replace an exact string in a file. Fails if `old` is absent, or occurs more than once "
       "unless replace_all is true.",
       schema({{"path", str("File path, relative to the workspace.")},
               {"old", str("The exact text to replace.")},
               {"new", str("The replacement text.")},
               {"replace_all", Json{{"type", "boolean"},
                                    {"description", "Replace every occurrence. Default false."}}}},
              {"path", "old", "new"})},
      {"list_files", "List the files under a directory of the workspace (recursively, sorted).",
       schema({{"path", str("Directory, relative to the workspace. Default: the workspace.")},
               {"glob", str("Only files matching this glob, e.g. \"*.py\" or \"src/**/*.h\".")}},
              {})},
      {"grep", "Search file contents with an extended regular expression; returns file:line:text.",
       schema({{"pattern", str("Extended regular expression (grep -E).")},
               {"path", str("File or directory to search. Default: the workspace.")},
               {"glob", str("Only files matching this glob, e.g. \"*.cpp\".")}},
              {"pattern"})},
  };
}

bool is_read_only(std::string_view tool) {
  return tool == "read_file" || tool == "list_files" || tool == "grep";
}

void run_tool(Channel& ch, const Driver& drv, const model::ToolCall& call, const ToolLimits& lim,
              std::function<void(harness::Result<ToolOutcome>)> done) {
  // Whatever the sandbox printed becomes JSON text for the model, the log and followers:
  // repair it here, once, so nothing downstream ever sees bytes that are not UTF-8.
  auto repaired = [done = std::move(done)](Result<ToolOutcome> r) {
    if (r) repair_utf8_in_place(r->content);
    done(std::move(r));
  };
  detail::ToolCtx ctx{ch, drv.workspace_path(), lim, std::move(repaired)};
  auto input = model::parse_tool_input(call.name, call.input);
  if (!input) return ctx.done(detail::tool_error(input.error().message));
  std::visit(
      [&ctx](auto&& in) {
        using T = std::decay_t<decltype(in)>;
        if constexpr (std::is_same_v<T, model::BashInput>)
          detail::run_bash(std::move(ctx), std::move(in));
        else if constexpr (std::is_same_v<T, model::ReadFileInput>)
          detail::run_read_file(std::move(ctx), std::move(in));
        else if constexpr (std::is_same_v<T, model::WriteFileInput>)
          detail::run_write_file(std::move(ctx), std::move(in));
        else if constexpr (std::is_same_v<T, model::EditFileInput>)
          detail::run_edit_file(std::move(ctx), std::move(in));
        else if constexpr (std::is_same_v<T, model::ListFilesInput>)
          detail::run_list_files(std::move(ctx), std::move(in));
        else if constexpr (std::is_same_v<T, model::GrepInput>)
          detail::run_grep(std::move(ctx), std::move(in));
        else
          ctx.done(detail::tool_error("request_approval is handled by the daemon, not a sandbox"));
      },
      std::move(*input));
}

namespace detail {

ToolOutcome tool_error(std::string message) {
  return ToolOutcome{std::move(message), true, {}};
}

std::string timeout_message(std::int64_t timeout_ms) {
  auto s = (timeout_ms + 999) / 1000;
  return "timed out after " + std::to_string(s) + "s (the command's processes were killed)";
}

ToolOutcome command_failure(const ExecResult& r, const std::string& what, std::int64_t timeout_ms) {
  if (r.timed_out) return ToolOutcome{what + ": " + timeout_message(timeout_ms), true, r.exit_code};
  std::string detail = !r.err.empty() ? r.err : r.out;
  while (!detail.empty() && detail.back() == '\n') detail.pop_back();
  if (detail.empty()) detail = "exit code " + std::to_string(r.exit_code);
  return ToolOutcome{what + ": " + detail, true, r.exit_code};
}

// bash: "exit code N" then stdout and stderr, each under a header, as the command produced them.
void run_bash(ToolCtx ctx, model::BashInput in) {
  ExecRequest req;
  req.command = std::move(in.command);
  req.timeout_ms = ctx.lim.timeout_ms;
  if (in.timeout_s) {
    // parse_tool_input bounds timeout_s, so this fits; the profile's limit still wins.
    auto ms = static_cast<std::int64_t>(std::ceil(*in.timeout_s * 1000));
    req.timeout_ms = std::min(req.timeout_ms, std::max<std::int64_t>(ms, 1));
  }
  req.output_cap = ctx.lim.output_cap;
  auto timeout_ms = req.timeout_ms;
  auto done = std::move(ctx.done);
  ctx.ch.exec(std::move(req), [done, timeout_ms](Result<ExecResult> r) {
    if (!r) return done(r.error());
    std::string content;
    if (r->timed_out) content = timeout_message(timeout_ms) + "\n";
    content += "exit code " + std::to_string(r->exit_code) + "\n";
    if (!r->out.empty()) content += "--- stdout ---\n" + with_newline(r->out);
    if (!r->err.empty()) content += "--- stderr ---\n" + with_newline(r->err);
    if (r->out.empty() && r->err.empty()) content += "(no output)\n";
    done(ToolOutcome{std::move(content), r->timed_out, r->exit_code});
  });
}

}  // namespace detail
}  // namespace harness::sandbox
