#include "lib/client/cli_usage.hpp"

#include <algorithm>
#include <charconv>

namespace harness::client {
namespace {
bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The number in `text`, if all of it is one (CLI11 converts after the checks run).
std::optional<double> number(const std::string& text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}
}  // namespace

CommandWord find_command_word(const std::vector<std::string>& argv,
                              const std::vector<std::string>& value_flags,
                              const std::vector<std::string>& commands) {
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--help" || a == "-h" || a == "--version") return {CommandWord::Kind::known, 0, a};
    if (a.starts_with("-")) {
      if (contains(value_flags, a)) ++i;  // its value
      continue;
    }
    if (a == "help") return {CommandWord::Kind::help, i, a};
    if (contains(commands, a)) return {CommandWord::Kind::known, i, a};
    return {CommandWord::Kind::unknown, i, a};
  }
  return {};
}

std::optional<std::string> nearest_name(std::string_view word,
                                        const std::vector<std::string>& names) {
  std::optional<std::string> best;
  size_t best_distance = 0;
  for (const auto& n : names) {
    size_t d = edit_distance(word, n);
    if (n.starts_with(word) && !word.empty()) d = std::min<size_t>(d, 1);  // "sub" → submit
    if (!best || d < best_distance) best = n, best_distance = d;
  }
  // A third of the word (at least 1, at most 3) may differ: "sumbit", "stauts", "aprove".
  size_t allowed = std::clamp<size_t>(word.size() / 3, 1, 3);
  return best && best_distance <= allowed ? best : std::nullopt;
}

CLI::Validator between(long long lo, long long hi) {
  std::string message = "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, message](std::string& text) -> std::string {
        auto v = number(text);
        return v && *v >= static_cast<double>(lo) && *v <= static_cast<double>(hi) ? "" : message;
      },
      std::to_string(lo) + ".." + std::to_string(hi), "between");
}

CLI::Validator at_least(long long lo) {
  std::string message = "must be " + std::to_string(lo) + " or more";
  return CLI::Validator(
      [lo, message](std::string& text) -> std::string {
        auto v = number(text);
        return v && *v >= static_cast<double>(lo) ? "" : message;
      },
      ">=" + std::to_string(lo), "at_least");
}

}  // namespace harness::client
