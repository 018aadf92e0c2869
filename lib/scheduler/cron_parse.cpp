// The cron parser. Each field is a comma list of items; an item is '*', a value or a range
// a-b, optionally followed by /step ("a/n" means a-max/n). Errors name the 1-based column of
// the offending character in the whole expression.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

#include "lib/scheduler/civil.hpp"
#include "lib/scheduler/cron.hpp"

namespace harness::scheduler {
namespace {

constexpr std::array<std::string_view, 12> k_months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> k_days = {"sun", "mon", "tue", "wed",
                                                    "thu", "fri", "sat"};
constexpr std::string_view k_five = "expected 5 fields: minute hour day-of-month month day-of-week";

struct FieldSpec {
  std::string_view name;
  int min;
  int max;       // the largest value accepted (7 for day-of-week: Sunday again)
  int star_max;  // what '*' and "a/n" extend to (6 for day-of-week)
  const std::string_view* names = nullptr;
  int name_count = 0;
  int first_name_value = 0;
  std::string_view names_hint;
};

constexpr std::array<FieldSpec, 5> k_fields = {{
    {"minute", 0, 59, 59, nullptr, 0, 0, ""},
    {"hour", 0, 23, 23, nullptr, 0, 0, ""},
    {"day-of-month", 1, 31, 31, nullptr, 0, 0, ""},
    {"month", 1, 12, 12, k_months.data(), 12, 1, "a month name (jan-dec)"},
    {"day-of-week", 0, 7, 6, k_days.data(), 7, 0, "a day name (sun-sat)"},
}};

Error error_at(std::size_t col, const std::string& msg) {
  return make_error(ErrorCode::invalid, "cron: column " + std::to_string(col) + ": " + msg);
}

// A character for a message: printable ASCII as is, anything else as its byte value.
std::string show(std::string_view rest) {
  if (rest.empty()) return "the end of the field";
  unsigned char c = static_cast<unsigned char>(rest.front());
  if (c > 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
  return buf;
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

// Parses one field's text, which starts at 1-based column `col` of the expression.
class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view text, std::size_t col)
      : m_spec(spec), m_text(text), m_col(col) {}

  Result<std::uint64_t> parse() {
    while (true) {
      HARNESS_TRY(item());
      if (m_pos == m_text.size()) return m_bits;
      if (m_text[m_pos] != ',')
        return fail("unexpected " + show(rest()) + " in the " + std::string(m_spec.name) +
                    " field (expected ',', '-', '/' or a space)");
      ++m_pos;
    }
  }

 private:
  std::string_view rest() const { return m_text.substr(m_pos); }
  Error fail(const std::string& msg) const { return error_at(m_col + m_pos, msg); }
  Error fail_at(std::size_t pos, const std::string& msg) const {
    return error_at(m_col + pos, msg);
  }

  Status item() {
    int lo = m_spec.min;
    int hi = m_spec.star_max;
    std::size_t start = m_pos;
    if (m_pos < m_text.size() && m_text[m_pos] == '*') {
      ++m_pos;
    } else {
      HARNESS_TRY_ASSIGN(lo, value());
      if (m_pos < m_text.size() && m_text[m_pos] == '-') {
        ++m_pos;
        HARNESS_TRY_ASSIGN(hi, value());
        if (lo > hi)
          return fail_at(start, "range " + std::string(m_text.substr(start, m_pos - start)) +
                                    " is reversed (the start must not exceed the end)");
      } else if (m_pos < m_text.size() && m_text[m_pos] == '/') {
        hi = std::max(hi, lo);  // "a/n": from a to the end of the field
      } else {
        hi = lo;
      }
    }
    int step = 1;
    if (m_pos < m_text.size() && m_text[m_pos] == '/') {
      ++m_pos;
      HARNESS_TRY_ASSIGN(step, number("step", 1, m_spec.star_max - m_spec.min + 1));
    }
    bool wraps = m_spec.max > m_spec.star_max;  // day-of-week: 7 is Sunday again
    for (int v = lo; v <= hi; v += step)
      m_bits |= std::uint64_t{1} << (wraps && v == m_spec.max ? m_spec.min : v);
    return {};
  }

  Result<int> value() {
    if (m_pos < m_text.size() && std::isalpha(static_cast<unsigned char>(m_text[m_pos])) &&
        m_spec.names)
      return name();
    return number(m_spec.name, m_spec.min, m_spec.max);
  }

  Result<int> number(std::string_view what, int min, int max) {
    std::size_t start = m_pos;
    long long n = 0;
    while (m_pos < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[m_pos]))) {
      if (n < 1'000'000) n = n * 10 + (m_text[m_pos] - '0');
      ++m_pos;
    }
    if (m_pos == start) {
      std::string expected = m_spec.names && what == m_spec.name
                                 ? "a number or " + std::string(m_spec.names_hint)
                                 : "a number";
      return fail("expected " + expected + " in the " + std::string(m_spec.name) + " field, got " +
                  show(rest()));
    }
    if (n < min || n > max)
      return fail_at(start, std::string(what) + " " +
                                std::string(m_text.substr(start, m_pos - start)) +
                                " out of range " + std::to_string(min) + "-" + std::to_string(max));
    return static_cast<int>(n);
  }

  Result<int> name() {
    std::size_t start = m_pos;
    while (m_pos < m_text.size() && std::isalpha(static_cast<unsigned char>(m_text[m_pos])))
      ++m_pos;
    std::string word(m_text.substr(start, m_pos - start));
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int i = 0; i < m_spec.name_count; ++i)
      if (m_spec.names[i] == word) return m_spec.first_name_value + i;
    return fail_at(start, "unknown " + std::string(m_spec.name) + " name '" +
                              std::string(m_text.substr(start, m_pos - start)) + "' (expected " +
                              std::string(m_spec.names_hint) + ")");
  }

  const FieldSpec& m_spec;
  std::string_view m_text;
  std::size_t m_col;
  std::size_t m_pos = 0;
  std::uint64_t m_bits = 0;
};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> k_macros = {{
    {"@hourly", "0 * * * *"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"},
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
}};

struct Field {
  std::string_view text;
  std::size_t col;  // 1-based
};

// Splits on spaces and tabs, remembering where each field starts.
std::vector<Field> split_fields(std::string_view text) {
  std::vector<Field> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) out.push_back({text.substr(start, i - start), start + 1});
  }
  return out;
}

Result<CronExpr> expand_macro(const std::vector<Field>& fields, std::string_view text) {
  const Field& f = fields.front();
  std::string word(f.text);
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const Macro& m : k_macros) {
    if (m.name != word) continue;
    if (fields.size() > 1) return error_at(fields[1].col, "unexpected text after " + word);
    HARNESS_TRY_ASSIGN(CronExpr e, parse_cron(m.expansion));
    e.text = std::string(text);
    return e;
  }
  std::string shown(f.text.substr(0, 32));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return error_at(f.col, "unknown macro '" + shown +
                             "' (expected @hourly, @daily, @midnight, @weekly, @monthly, "
                             "@yearly or @annually)");
}

// With the day-of-week field unrestricted, some chosen month must have a chosen day.
Status check_days_exist(const CronExpr& e, const Field& dom) {
  if (!e.dow_star || e.dom_star) return {};
  for (int m = 1; m <= 12; ++m) {
    if (!(e.months >> m & 1)) continue;
    for (int d = 1; d <= days_in_month(2000, m); ++d)
      if (e.days >> d & 1) return {};
  }
  return error_at(dom.col,
                  "day-of-month " + std::string(dom.text) + " never occurs in the chosen months");
}

}  // namespace

Result<CronExpr> parse_cron(std::string_view text) {
  if (text.size() > 1024) return error_at(1025, "expression longer than 1024 characters");
  std::vector<Field> fields = split_fields(text);
  if (fields.empty())
    return error_at(1, "empty expression (" + std::string(k_five) + ", or a macro like @daily)");
  if (fields[0].text.front() == '@') return expand_macro(fields, text);
  if (fields.size() > 5)
    return error_at(fields[5].col, "unexpected sixth field (" + std::string(k_five) + ")");
  if (fields.size() < 5)
    return error_at(text.size() + 1, "missing the " + std::string(k_fields[fields.size()].name) +
                                         " field (" + std::string(k_five) + ")");
  std::array<std::uint64_t, 5> bits{};
  for (std::size_t i = 0; i < 5; ++i) {
    HARNESS_TRY_ASSIGN(bits[i], FieldParser(k_fields[i], fields[i].text, fields[i].col).parse());
  }
  CronExpr e;
  e.minutes = bits[0];
  e.hours = static_cast<std::uint32_t>(bits[1]);
  e.days = static_cast<std::uint32_t>(bits[2]);
  e.months = static_cast<std::uint16_t>(bits[3]);
  e.weekdays = static_cast<std::uint8_t>(bits[4]);
  e.dom_star = fields[2].text.front() == '*';
  e.dow_star = fields[4].text.front() == '*';
  e.text = std::string(text);
  HARNESS_TRY(check_days_exist(e, fields[2]));
  return e;
}

bool day_matches(const CronExpr& e, int day_of_month, int weekday) {
  bool dom = e.days >> day_of_month & 1;
  bool dow = e.weekdays >> weekday & 1;
  return (e.dom_star || e.dow_star) ? dom && dow : dom || dow;
}

}  // namespace harness::scheduler
