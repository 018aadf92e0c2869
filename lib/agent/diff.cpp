#include "lib/agent/diff.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace harness::agent {
namespace {

// Lines keep their '\n', so "x" (last line, no newline) and "x\n" differ, as they do for diff.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::size_t len = nl == std::string_view::npos ? text.size() : nl + 1;
    out.push_back(text.substr(0, len));
    text.remove_prefix(len);
  }
  return out;
}

enum class OpKind { equal, remove, insert };

struct Op {
  OpKind kind;
  std::size_t line;  // index into old (equal, remove) or new (insert)
};

// Largest LCS table we build for the part between the common prefix and suffix (cells of 2
// bytes); beyond it the middle becomes one replacement, still a correct diff.
constexpr std::size_t k_max_cells = 8u << 20;

// The classic LCS dynamic programme over suffixes, walked forwards: matches are taken greedily
// (always optimal) and ties prefer removals, so removals come before insertions like diff's.
void diff_middle(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
                 std::size_t a0, std::size_t a1, std::size_t b0, std::size_t b1,
                 std::vector<Op>& ops) {
  std::size_t n = a1 - a0, m = b1 - b0;
  if (n * m > k_max_cells) {
    for (std::size_t i = a0; i < a1; ++i) ops.push_back({OpKind::remove, i});
    for (std::size_t j = b0; j < b1; ++j) ops.push_back({OpKind::insert, j});
    return;
  }
  std::vector<std::uint16_t> lcs((n + 1) * (m + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> std::uint16_t& { return lcs[i * (m + 1) + j]; };
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      at(i, j) =
          a[a0 + i] == b[b0 + j] ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[a0 + i] == b[b0 + j]) {
      ops.push_back({OpKind::equal, a0 + i});
      ++i, ++j;
    } else if (j == m || (i < n && at(i + 1, j) >= at(i, j + 1))) {
      ops.push_back({OpKind::remove, a0 + i++});
    } else {
      ops.push_back({OpKind::insert, b0 + j++});
    }
  }
}

std::vector<Op> diff_lines(const std::vector<std::string_view>& a,
                           const std::vector<std::string_view>& b) {
  std::vector<Op> ops;
  if (a.size() > k_diff_max_lines || b.size() > k_diff_max_lines) {
    for (std::size_t i = 0; i < a.size(); ++i) ops.push_back({OpKind::remove, i});
    for (std::size_t j = 0; j < b.size(); ++j) ops.push_back({OpKind::insert, j});
    return ops;
  }
  std::size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  std::size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  for (std::size_t i = 0; i < pre; ++i) ops.push_back({OpKind::equal, i});
  diff_middle(a, b, pre, a.size() - suf, pre, b.size() - suf, ops);
  for (std::size_t i = a.size() - suf; i < a.size(); ++i) ops.push_back({OpKind::equal, i});
  return ops;
}

// "-3,2" / "-3" (one line) / "-2,0" (empty: the line before), as diff -u writes ranges.
std::string range(std::size_t before, std::size_t count) {
  if (count == 1) return std::to_string(before + 1);
  return std::to_string(count == 0 ? before : before + 1) + "," + std::to_string(count);
}

class HunkWriter {
 public:
  HunkWriter(const std::vector<std::string_view>& a, const std::vector<std::string_view>& b,
             const std::vector<Op>& ops)
      : m_a(a), m_b(b), m_ops(ops), m_old_before(ops.size() + 1), m_new_before(ops.size() + 1) {
    for (std::size_t k = 0; k < ops.size(); ++k) {
      m_old_before[k + 1] = m_old_before[k] + (ops[k].kind != OpKind::insert);
      m_new_before[k + 1] = m_new_before[k] + (ops[k].kind != OpKind::remove);
    }
  }

  // Ops [s, e) as one hunk.
  void write(std::size_t s, std::size_t e, std::string& out) const {
    out += "@@ -" + range(m_old_before[s], m_old_before[e] - m_old_before[s]) + " +" +
           range(m_new_before[s], m_new_before[e] - m_new_before[s]) + " @@\n";
    for (std::size_t k = s; k < e; ++k) {
      const Op& op = m_ops[k];
      bool is_new = op.kind == OpKind::insert;
      std::string_view line = is_new ? m_b[op.line] : m_a[op.line];
      out += op.kind == OpKind::equal ? ' ' : (is_new ? '+' : '-');
      out += line;
      if (!line.ends_with('\n')) out += "\n\\ No newline at end of file\n";
    }
  }

 private:
  const std::vector<std::string_view>& m_a;
  const std::vector<std::string_view>& m_b;
  const std::vector<Op>& m_ops;
  std::vector<std::size_t> m_old_before, m_new_before;  // lines consumed before op k
};

std::size_t count_occurrences(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + needle.size()))
    ++n;
  return n;
}

std::string replace(std::string_view text, std::string_view old, std::string_view neu, bool all) {
  std::string out;
  std::size_t from = 0;
  for (auto pos = text.find(old); pos != std::string_view::npos; pos = text.find(old, from)) {
    out.append(text.substr(from, pos - from));
    out.append(neu);
    from = pos + old.size();
    if (!all) break;
  }
  out.append(text.substr(from));
  return out;
}

}  // namespace

std::string unified_diff(std::string_view old_text, std::string_view new_text,
                         const std::string& path, int context, bool new_file) {
  if (old_text == new_text && !new_file) return "";
  auto a = split_lines(old_text);
  auto b = split_lines(new_text);
  std::vector<Op> ops = diff_lines(a, b);
  std::string out =
      (new_file ? "--- /dev/null\n" : "--- a/" + path + "\n") + "+++ b/" + path + "\n";
  HunkWriter writer(a, b, ops);
  std::size_t ctx = static_cast<std::size_t>(std::max(context, 0));
  // Group changes whose separating run of equal lines is at most 2*context long into one hunk.
  std::size_t k = 0;
  while (k < ops.size()) {
    while (k < ops.size() && ops[k].kind == OpKind::equal) ++k;
    if (k == ops.size()) break;
    std::size_t start = k >= ctx ? k - ctx : 0;
    std::size_t last_change = k;
    for (std::size_t j = k + 1; j < ops.size(); ++j) {
      if (ops[j].kind == OpKind::equal) continue;
      if (j - last_change - 1 > 2 * ctx) break;
      last_change = j;
    }
    std::size_t end = std::min(ops.size(), last_change + 1 + ctx);
    writer.write(start, end, out);
    k = last_change + 1;
  }
  return out;
}

std::string edit_preview(std::string_view old_text, std::string_view old_snippet,
                         std::string_view new_snippet, bool replace_all, const std::string& path) {
  std::string fails = "edit_file " + path + " would fail: ";
  if (old_snippet.empty()) return fails + "`old` must not be empty\n";
  if (old_snippet == new_snippet) return fails + "`old` and `new` are identical\n";
  std::size_t n = count_occurrences(old_text, old_snippet);
  if (n == 0) return fails + "`old` was not found\n";
  if (n > 1 && !replace_all)
    return fails + "`old` occurs " + std::to_string(n) +
           " times; add context to make it unique or set replace_all\n";
  return unified_diff(old_text, replace(old_text, old_snippet, new_snippet, replace_all), path);
}

}  // namespace harness::agent
