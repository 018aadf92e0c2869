// Loop thread only. list_files and grep: plain `find` and `grep -rnH -E` in the sandbox (busybox
// has neither --include nor -printf), with .git skipped, glob filtering, sorting and caps here.
#include <algorithm>
#include <cctype>

#include "lib/sandbox/tool_impl.hpp"
#include "lib/sandbox/tool_util.hpp"

namespace harness::sandbox::detail {
namespace {

using tool_util::display_path;
using tool_util::shell_quote;

constexpr std::int64_t k_raw_cap = 1 << 20;  // bytes of find/grep output looked at
constexpr std::size_t k_max_files = 1000;
constexpr std::size_t k_max_matches = 500;
constexpr std::size_t k_max_match_line = 500;

struct SearchArgs {
  std::string root;  // absolute, inside the sandbox
  std::optional<std::string> glob;
};

Result<SearchArgs> search_args(const ToolCtx& ctx, const std::optional<std::string>& path,
                               std::optional<std::string> glob) {
  HARNESS_TRY_ASSIGN(auto root, tool_util::resolve_path(ctx.workspace, path.value_or(".")));
  return SearchArgs{std::move(root), std::move(glob)};
}

std::string require_exists(const std::string& root) {
  return "[ -e " + shell_quote(root) +
         " ] || { echo \"no such file or directory\" >&2; exit 2; }\n";
}

// Complete lines of the command's output; when it was capped, only the head's whole lines.
std::vector<std::string_view> output_lines(const ExecResult& r, std::string& keep) {
  keep = r.out;
  if (r.truncated) {
    keep.resize(static_cast<std::size_t>(k_raw_cap));
    keep.resize(keep.rfind('\n') == std::string::npos ? 0 : keep.rfind('\n') + 1);
  }
  return tool_util::split_lines(keep);
}

// `path` relative to the search root, for glob matching.
std::string relative_to(const std::string& root, std::string_view path) {
  if (path.size() > root.size() && path.substr(0, root.size()) == root && path[root.size()] == '/')
    return std::string(path.substr(root.size() + 1));
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

bool in_git_dir(std::string_view path) {
  return path.find("/.git/") != std::string_view::npos ||
         (path.size() >= 5 && path.substr(path.size() - 5) == "/.git");
}

// Splits "FILE:LINE:TEXT" at the first ":digits:" after the root.
bool split_match(std::string_view line, std::size_t from, std::string_view& file,
                 std::string_view& rest) {
  for (auto c = line.find(':', from); c != std::string_view::npos; c = line.find(':', c + 1)) {
    auto d = c + 1;
    while (d < line.size() && std::isdigit(static_cast<unsigned char>(line[d]))) ++d;
    if (d > c + 1 && d < line.size() && line[d] == ':') {
      file = line.substr(0, c);
      rest = line.substr(c + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

void run_list_files(ToolCtx ctx, model::ListFilesInput in) {
  auto args = search_args(ctx, in.path, std::move(in.glob));
  if (!args) return ctx.done(tool_error(args.error().message));
  ExecRequest req;
  std::string q = shell_quote(args->root);
  req.command = require_exists(args->root) + "find " + q + " -name .git -prune -o ! -type d -print";
  req.timeout_ms = ctx.lim.timeout_ms;
  req.output_cap = k_raw_cap;
  auto timeout_ms = req.timeout_ms;
  ctx.ch.exec(std::move(req), [ctx, args = *args, timeout_ms](Result<ExecResult> r) {
    if (!r) return ctx.done(r.error());
    std::string shown_root = display_path(ctx.workspace, args.root);
    if (r->exit_code != 0 && r->out.empty())
      return ctx.done(command_failure(*r, "list_files " + shown_root, timeout_ms));
    std::string keep;
    std::vector<std::string> files;
    for (auto line : output_lines(*r, keep)) {
      if (line.empty() ||
          (args.glob && !tool_util::glob_match(*args.glob, relative_to(args.root, line))))
        continue;
      files.push_back(display_path(ctx.workspace, line));
    }
    std::sort(files.begin(), files.end());
    std::string out;
    for (std::size_t i = 0; i < files.size() && i < k_max_files; ++i) out += files[i] + "\n";
    if (files.size() > k_max_files)
      out += "[" + std::to_string(files.size() - k_max_files) + " more files not shown]\n";
    if (r->truncated) out += "[listing truncated; narrow the path or glob]\n";
    if (files.empty()) out = args.glob ? "no files match " + *args.glob + "\n" : "no files\n";
    ctx.done(ToolOutcome{std::move(out), false, {}});
  });
}

void run_grep(ToolCtx ctx, model::GrepInput in) {
  auto args = search_args(ctx, in.path, std::move(in.glob));
  if (!args) return ctx.done(tool_error(args.error().message));
  ExecRequest req;
  req.command = require_exists(args->root) + "grep -rnH -E -e " + shell_quote(in.pattern) + " " +
                shell_quote(args->root);
  req.timeout_ms = ctx.lim.timeout_ms;
  req.output_cap = k_raw_cap;
  auto timeout_ms = req.timeout_ms;
  ctx.ch.exec(std::move(req), [ctx, args = *args, timeout_ms](Result<ExecResult> r) {
    if (!r) return ctx.done(r.error());
    if (r->timed_out || (r->exit_code >= 2 && r->out.empty()))
      return ctx.done(command_failure(*r, "grep", timeout_ms));
    std::string keep;
    std::vector<std::pair<std::string, std::string>> matches;  // file, "LINE:TEXT"
    for (auto line : output_lines(*r, keep)) {
      std::string_view file, rest;
      if (!split_match(line, args.root.size(), file, rest) || in_git_dir(file)) continue;
      if (args.glob && !tool_util::glob_match(*args.glob, relative_to(args.root, file))) continue;
      std::string text(rest);
      if (text.size() > k_max_match_line) text = text.substr(0, k_max_match_line) + "…";
      matches.emplace_back(display_path(ctx.workspace, file), std::move(text));
    }
    // Files in name order (grep walks directory order), lines in file order.
    std::stable_sort(matches.begin(), matches.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    for (std::size_t i = 0; i < matches.size() && i < k_max_matches; ++i)
      out += matches[i].first + ":" + matches[i].second + "\n";
    if (matches.size() > k_max_matches)
      out += "[" + std::to_string(matches.size() - k_max_matches) +
             " more matching lines not shown]\n";
    if (r->truncated) out += "[output truncated; narrow the pattern, path or glob]\n";
    if (matches.empty()) out = "no matches\n";
    if (r->exit_code >= 2) out += "[grep reported errors: " + r->err.substr(0, 500) + "]\n";
    ctx.done(ToolOutcome{std::move(out), false, r->exit_code});
  });
}

}  // namespace harness::sandbox::detail
