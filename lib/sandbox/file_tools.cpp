// Loop thread only. read_file, write_file and edit_file: the sandbox only moves bytes (tail/head,
// cat); numbering, replacing and all checks happen here, on the raw bytes.
#include <algorithm>

#include "lib/sandbox/tool_impl.hpp"
#include "lib/sandbox/tool_util.hpp"

namespace harness::sandbox::detail {
namespace {

using tool_util::display_path;
using tool_util::shell_quote;

constexpr std::int64_t k_default_read_lines = 2000;
constexpr std::int64_t k_max_write_bytes = 16 << 20;
constexpr std::int64_t k_max_edit_bytes = 8 << 20;

// Fails with a readable message when the path is missing or is a directory.
std::string require_file(const std::string& quoted) {
  return "f=" + quoted +
         "\nif [ -d \"$f\" ]; then echo \"is a directory\" >&2; exit 2; fi\n"
         "if [ ! -e \"$f\" ]; then echo \"no such file\" >&2; exit 2; fi\n";
}

// Writes stdin to `path`, creating its parent directories; prints the resulting size.
ExecRequest write_request(const std::string& path, std::string content, const ToolLimits& lim) {
  ExecRequest req;
  std::string parent = path.substr(0, path.rfind('/'));
  req.command = "mkdir -p " + shell_quote(parent) + " && cat >" + shell_quote(path) +
                " && wc -c <" + shell_quote(path);
  req.stdin_data = std::move(content);
  req.timeout_ms = lim.timeout_ms;
  req.output_cap = 1024;
  return req;
}

// The model sees "wrote N bytes to P" only if the file really has N bytes now.
ToolOutcome write_outcome(const ExecResult& r, const std::string& shown, std::size_t expected,
                          const std::string& success, std::int64_t timeout_ms) {
  if (r.exit_code != 0 || r.timed_out) return command_failure(r, "write " + shown, timeout_ms);
  std::string size = r.out;
  size.erase(std::remove_if(size.begin(), size.end(), [](char c) { return c == ' ' || c == '\n'; }),
             size.end());
  if (size != std::to_string(expected)) {
    return tool_error("write " + shown + ": the file has " + size + " bytes, expected " +
                      std::to_string(expected));
  }
  return ToolOutcome{success, false, {}};
}

std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size()))
    ++n;
  return n;
}

std::string replace(const std::string& text, const std::string& old, const std::string& neu,
                    bool all) {
  std::string out;
  std::size_t from = 0;
  for (auto pos = text.find(old); pos != std::string::npos; pos = text.find(old, from)) {
    out.append(text, from, pos - from);
    out += neu;
    from = pos + old.size();
    if (!all) break;
  }
  out.append(text, from);
  return out;
}

// The numbered-lines answer of read_file from the raw bytes of lines first.. (at most
// count + 1 lines were read, to know whether more follow; `budget` bounds the bytes shown).
std::string format_read(std::string raw, bool cut, std::int64_t first, std::int64_t count,
                        std::int64_t budget) {
  if (raw.find('\0') != std::string::npos) return "(binary file; not shown)";
  if (static_cast<std::int64_t>(raw.size()) > budget) {
    raw.resize(static_cast<std::size_t>(budget));
    cut = true;
  }
  if (cut) raw.resize(raw.rfind('\n') == std::string::npos ? 0 : raw.rfind('\n') + 1);
  auto lines = tool_util::split_lines(raw);
  bool more = static_cast<std::int64_t>(lines.size()) > count;
  if (more) lines.resize(static_cast<std::size_t>(count));
  if (lines.empty() && !cut) return first == 1 ? "(empty file)" : "(no lines at this offset)";
  std::string text;
  for (auto l : lines) text.append(l).append("\n");
  std::string out = tool_util::number_lines(text, first);
  auto next = std::to_string(first + static_cast<std::int64_t>(lines.size()));
  if (cut)
    out += "[output capped at " + std::to_string(budget) + " bytes; continue with offset=" + next +
           "]\n";
  else if (more)
    out += "[more lines follow; continue with offset=" + next + "]\n";
  return out;
}

}  // namespace

void run_read_file(ToolCtx ctx, model::ReadFileInput in) {
  auto path = tool_util::resolve_path(ctx.workspace, in.path);
  if (!path) return ctx.done(tool_error(path.error().message));
  std::int64_t first = in.offset.value_or(1), count = in.limit.value_or(k_default_read_lines);
  std::int64_t budget = 2 * ctx.lim.output_cap;
  ExecRequest req;
  req.command = require_file(shell_quote(*path)) + "tail -n +" + std::to_string(first) +
                " \"$f\" | head -n " + std::to_string(count + 1);
  req.timeout_ms = ctx.lim.timeout_ms;
  req.output_cap = budget;
  std::string shown = display_path(ctx.workspace, *path);
  auto timeout_ms = req.timeout_ms;
  ctx.ch.exec(std::move(req), [done = std::move(ctx.done), shown, first, count, budget,
                               timeout_ms](Result<ExecResult> r) {
    if (!r) return done(r.error());
    if (r->exit_code != 0 || r->timed_out)
      return done(command_failure(*r, "read_file " + shown, timeout_ms));
    bool cut = r->truncated;
    std::string raw = cut ? r->out.substr(0, static_cast<std::size_t>(budget)) : r->out;
    done(ToolOutcome{format_read(std::move(raw), cut, first, count, budget), false, {}});
  });
}

void run_write_file(ToolCtx ctx, model::WriteFileInput in) {
  auto path = tool_util::resolve_path(ctx.workspace, in.path);
  if (!path) return ctx.done(tool_error(path.error().message));
  if (*path == ctx.workspace) return ctx.done(tool_error("the path is the workspace directory"));
  if (static_cast<std::int64_t>(in.content.size()) > k_max_write_bytes)
    return ctx.done(
        tool_error("content is larger than " + std::to_string(k_max_write_bytes) + " bytes"));
  std::string shown = display_path(ctx.workspace, *path);
  std::size_t size = in.content.size();
  std::string success = "wrote " + std::to_string(size) + " bytes to " + shown;
  auto timeout_ms = ctx.lim.timeout_ms;
  ctx.ch.exec(write_request(*path, std::move(in.content), ctx.lim),
              [done = std::move(ctx.done), shown, size, success, timeout_ms](Result<ExecResult> r) {
                if (!r) return done(r.error());
                done(write_outcome(*r, shown, size, success, timeout_ms));
              });
}

// Two round trips: cat the file, then (after replacing here) write it back through stdin.
void run_edit_file(ToolCtx ctx, model::EditFileInput in) {
  auto path = tool_util::resolve_path(ctx.workspace, in.path);
  if (!path) return ctx.done(tool_error(path.error().message));
  ExecRequest req;
  req.command = require_file(shell_quote(*path)) + "cat \"$f\"";
  req.timeout_ms = ctx.lim.timeout_ms;
  req.output_cap = k_max_edit_bytes;
  std::string shown = display_path(ctx.workspace, *path);
  auto& ch = ctx.ch;
  ch.exec(std::move(req), [ctx = std::move(ctx), path = *path, shown, old = std::move(in.old_text),
                           neu = std::move(in.new_text),
                           all = in.replace_all](Result<ExecResult> r) mutable {
    if (!r) return ctx.done(r.error());
    if (r->exit_code != 0 || r->timed_out)
      return ctx.done(command_failure(*r, "edit_file " + shown, ctx.lim.timeout_ms));
    if (r->out_bytes > k_max_edit_bytes)
      return ctx.done(tool_error("edit_file " + shown + ": the file is too large to edit"));
    std::size_t n = count_occurrences(r->out, old);
    if (n == 0) return ctx.done(tool_error("edit_file " + shown + ": `old` was not found"));
    if (n > 1 && !all) {
      return ctx.done(tool_error("edit_file " + shown + ": `old` occurs " + std::to_string(n) +
                                 " times; add context to make it unique or set replace_all"));
    }
    std::string updated = replace(r->out, old, neu, all);
    std::size_t size = updated.size();
    std::string success = "replaced " + std::to_string(all ? n : 1) + " occurrence" +
                          ((all ? n : 1) == 1 ? "" : "s") + " in " + shown;
    auto timeout_ms = ctx.lim.timeout_ms;
    ctx.ch.exec(
        write_request(path, std::move(updated), ctx.lim),
        [done = std::move(ctx.done), shown, size, success, timeout_ms](Result<ExecResult> w) {
          if (!w) return done(w.error());
          done(write_outcome(*w, shown, size, success, timeout_ms));
        });
  });
}

}  // namespace harness::sandbox::detail
