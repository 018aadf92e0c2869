#include "lib/client/changes_format.hpp"

#include <cstdio>
#include <vector>

#include "lib/client/json_fields.hpp"

namespace harness::client {
namespace {
using jf::num;
using jf::str;

// A file name is whatever the agent wrote: it must not drive the terminal.
std::string shown_name(const std::string& path) {
  std::string out;
  for (char c : path) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  return out;
}

struct Mark {
  const char* change;
  const char* symbol;
  const char* legend;
};
constexpr Mark k_marks[] = {
    {"created", "+", "+ created"}, {"modified", "~", "~ modified"}, {"changed", "*", "* changed"}};

const Mark& mark_of(const std::string& change) {
  for (const auto& m : k_marks)
    if (change == m.change) return m;
  return k_marks[2];
}

std::string styled(const Mark& m, const std::string& s, const Style& st) {
  if (m.symbol[0] == '+') return st.green(s);
  if (m.symbol[0] == '~') return st.yellow(s);
  return s;
}
}  // namespace

std::string format_size(std::int64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  const char* units[] = {"kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  size_t u = 0;
  for (v /= 1000; v >= 999.95 && u + 1 < std::size(units); ++u) v /= 1000;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string format_workspace_changes(const Json& data, const Style& st, size_t max_files) {
  auto it = data.is_object() ? data.find("files") : data.end();
  if (!data.is_object() || it == data.end() || !it->is_array() || it->empty()) return "";
  const Json& files = *it;
  std::int64_t count = std::max<std::int64_t>(num(data, "count"), std::int64_t(files.size()));
  bool used[std::size(k_marks)] = {};
  std::string lines;
  size_t shown = 0;
  for (const auto& f : files) {
    const Mark& m = mark_of(str(f, "change"));
    used[&m - k_marks] = true;
    if (shown == max_files) continue;
    ++shown;
    std::string what = str(f, "type") == "symlink" ? "symlink" : format_size(num(f, "size"));
    lines += "  " + styled(m, std::string(m.symbol) + " " + shown_name(str(f, "path")), st) + " " +
             st.dim("(" + what + ")") + "\n";
  }
  if (count > static_cast<std::int64_t>(shown))
    lines += "  … and " + std::to_string(count - static_cast<std::int64_t>(shown)) + " more\n";
  else if (jf::flag(data, "truncated"))
    lines += "  … and maybe more (the listing stopped at its limit)\n";
  std::string legend;
  for (size_t i = 0; i < std::size(k_marks); ++i)
    if (used[i]) legend += (legend.empty() ? "" : ", ") + std::string(k_marks[i].legend);
  std::string head = std::to_string(count) + (count == 1 ? " file" : " files") +
                     " changed in the workspace (" + legend + "):";
  return st.bold(head) + "\n" + lines;
}

}  // namespace harness::client
