#include "lib/sandbox/tool_util.hpp"

#include <fnmatch.h>

#include <cmath>
#include <cstdio>

namespace harness::sandbox::tool_util {
namespace {

Error bad(std::string msg) {
  return make_error(ErrorCode::bad_request, std::move(msg));
}

}  // namespace

Result<std::string> resolve_path(std::string_view workspace, std::string_view input) {
  if (input.empty()) return bad("the path is empty");
  if (input.find('\0') != std::string_view::npos) return bad("the path contains a NUL byte");
  std::string full =
      input.front() == '/' ? std::string(input) : std::string(workspace) + "/" + std::string(input);
  std::vector<std::string_view> parts;
  std::string_view rest = full;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    if (part == "..") {
      if (parts.empty()) return bad("path " + std::string(input) + " is outside the workspace");
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  std::string norm;
  for (auto p : parts) norm += "/" + std::string(p);
  if (norm.empty()) norm = "/";
  if (norm != workspace && norm.compare(0, workspace.size() + 1, std::string(workspace) + "/") != 0)
    return bad("path " + std::string(input) + " is outside the workspace " +
               std::string(workspace));
  return norm;
}

std::string display_path(std::string_view workspace, std::string_view path) {
  if (path == workspace) return ".";
  if (path.size() > workspace.size() && path.substr(0, workspace.size()) == workspace &&
      path[workspace.size()] == '/')
    return std::string(path.substr(workspace.size() + 1));
  return std::string(path);
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

bool glob_match(std::string_view glob, std::string_view rel) {
  std::string g(glob), r(rel);
  if (g.find('/') == std::string::npos) {
    auto slash = r.rfind('/');
    std::string base = slash == std::string::npos ? r : r.substr(slash + 1);
    return fnmatch(g.c_str(), base.c_str(), 0) == 0;
  }
  if (fnmatch(g.c_str(), r.c_str(), 0) == 0) return true;
  return g.rfind("**/", 0) == 0 && glob_match(g.substr(3), r);
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string number_lines(std::string_view text, std::int64_t first_line) {
  std::string out;
  std::int64_t n = first_line;
  for (auto line : split_lines(text)) {
    char num[32];
    std::snprintf(num, sizeof(num), "%6lld\t", static_cast<long long>(n++));
    out += num;
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace harness::sandbox::tool_util
