#pragma once
// Unified diffs of text files, for showing a human what a gated write_file/edit_file would
// change (the "diff" of a gate_opened event). Pure functions, no I/O.

#include <cstddef>
#include <string>
#include <string_view>

namespace harness::agent {

// Inputs with more lines than this on either side get one whole-file replacement hunk instead of
// a line-by-line diff (the LCS table would cost too much memory and time).
inline constexpr std::size_t k_diff_max_lines = 5000;

// A unified diff of `old_text` -> `new_text` as `diff -u` prints it, with "--- a/PATH" and
// "+++ b/PATH" headers (`--- /dev/null` when `new_file`), `context` lines around each change and
// "\ No newline at end of file" markers. "" when the texts are equal (and not `new_file`).
std::string unified_diff(std::string_view old_text, std::string_view new_text,
                         const std::string& path, int context = 3, bool new_file = false);

// What edit_file(path, old_snippet, new_snippet, replace_all) would do to a file holding
// `old_text`: the unified diff, or when the edit would fail one line saying why ("edit_file
// PATH would fail: `old` was not found"), mirroring the tool's own checks.
std::string edit_preview(std::string_view old_text, std::string_view old_snippet,
                         std::string_view new_snippet, bool replace_all, const std::string& path);

}  // namespace harness::agent
