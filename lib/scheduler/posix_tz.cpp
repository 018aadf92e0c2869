// POSIX.1-2017 section 8.3 TZ grammar with the RFC 8536 extensions (hours up to 167 in rule
// times, negative rule times). A rule with daylight time but no dates uses the US rules, as
// glibc does.

#include "lib/scheduler/posix_tz.hpp"

#include <algorithm>
#include <cctype>

#include "lib/scheduler/civil.hpp"

namespace harness::scheduler {
namespace {

class TzParser {
 public:
  explicit TzParser(std::string_view text) : m_text(text) {}

  Result<PosixTz> parse() {
    PosixTz tz;
    HARNESS_TRY(name());
    HARNESS_TRY_ASSIGN(std::int32_t std_west, hms(24, true));
    tz.std_offset = -std_west;
    if (done()) return tz;
    HARNESS_TRY(name());
    tz.has_dst = true;
    tz.dst_offset = tz.std_offset + 3600;
    if (!done() && peek() != ',') {
      HARNESS_TRY_ASSIGN(std::int32_t dst_west, hms(24, true));
      tz.dst_offset = -dst_west;
    }
    if (done()) {
      tz.start = RuleDay{RuleDay::Kind::month_week_day, 0, 3, 2, 0, 7200};
      tz.end = RuleDay{RuleDay::Kind::month_week_day, 0, 11, 1, 0, 7200};
      return tz;
    }
    HARNESS_TRY(expect(','));
    HARNESS_TRY_ASSIGN(tz.start, rule_day());
    HARNESS_TRY(expect(','));
    HARNESS_TRY_ASSIGN(tz.end, rule_day());
    if (!done()) return fail("unexpected text at the end");
    return tz;
  }

 private:
  bool done() const { return m_pos >= m_text.size(); }
  char peek() const { return done() ? '\0' : m_text[m_pos]; }
  Error fail(const std::string& why) const {
    return make_error(ErrorCode::invalid, "TZ rule: " + why);
  }
  Status expect(char c) {
    if (peek() != c) return fail(std::string("expected '") + c + "'");
    ++m_pos;
    return {};
  }

  // "CET" (3+ letters) or "<+0330>".
  Status name() {
    std::size_t start = m_pos;
    if (peek() == '<') {
      while (!done() && peek() != '>') ++m_pos;
      HARNESS_TRY(expect('>'));
      return m_pos - start >= 5 ? Status{} : fail("zone abbreviation too short");
    }
    while (std::isalpha(static_cast<unsigned char>(peek()))) ++m_pos;
    return m_pos - start >= 3 ? Status{} : fail("expected a zone abbreviation");
  }

  Result<int> number(int max) {
    std::size_t start = m_pos;
    int n = 0;
    while (std::isdigit(static_cast<unsigned char>(peek())) && m_pos - start < 4)
      n = n * 10 + (m_text[m_pos++] - '0');
    if (m_pos == start) return fail("expected a number");
    if (n > max) return fail("number " + std::to_string(n) + " out of range");
    return n;
  }

  // [+-]hh[:mm[:ss]] in seconds.
  Result<std::int32_t> hms(int max_hours, bool signed_ok) {
    int sign = 1;
    if (signed_ok && (peek() == '+' || peek() == '-')) sign = m_text[m_pos++] == '-' ? -1 : 1;
    HARNESS_TRY_ASSIGN(int h, number(max_hours));
    int m = 0;
    int s = 0;
    if (peek() == ':') {
      ++m_pos;
      HARNESS_TRY_ASSIGN(m, number(59));
      if (peek() == ':') {
        ++m_pos;
        HARNESS_TRY_ASSIGN(s, number(59));
      }
    }
    return sign * (h * 3600 + m * 60 + s);
  }

  Result<RuleDay> rule_day() {
    RuleDay d;
    if (peek() == 'J') {
      ++m_pos;
      d.kind = RuleDay::Kind::julian1;
      HARNESS_TRY_ASSIGN(d.n, number(365));
      if (d.n < 1) return fail("Julian day 0");
    } else if (peek() == 'M') {
      ++m_pos;
      HARNESS_TRY_ASSIGN(d.month, number(12));
      HARNESS_TRY(expect('.'));
      HARNESS_TRY_ASSIGN(d.week, number(5));
      HARNESS_TRY(expect('.'));
      HARNESS_TRY_ASSIGN(d.weekday, number(6));
      if (d.month < 1 || d.week < 1) return fail("month and week start at 1");
    } else {
      d.kind = RuleDay::Kind::julian0;
      HARNESS_TRY_ASSIGN(d.n, number(365));
    }
    if (peek() == '/') {
      ++m_pos;
      HARNESS_TRY_ASSIGN(d.time, hms(167, true));
    }
    return d;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
};

// Days since the epoch of the rule's day in `year`.
std::int64_t rule_date(const RuleDay& d, std::int64_t year) {
  const std::int64_t jan1 = days_from_civil(year, 1, 1);
  switch (d.kind) {
    case RuleDay::Kind::julian1:
      return jan1 + d.n - 1 + (is_leap(year) && d.n >= 60 ? 1 : 0);
    case RuleDay::Kind::julian0:
      return jan1 + d.n;
    case RuleDay::Kind::month_week_day:
      break;
  }
  const std::int64_t first = days_from_civil(year, d.month, 1);
  std::int64_t day = first + (d.weekday - weekday_from_days(first) + 7) % 7 + (d.week - 1) * 7;
  while (day >= first + days_in_month(year, d.month)) day -= 7;
  return day;
}

}  // namespace

Result<PosixTz> parse_posix_tz(std::string_view text) {
  return TzParser(text).parse();
}

YearTransitions posix_transitions(const PosixTz& tz, std::int64_t year) {
  YearTransitions out;
  if (!tz.has_dst || tz.dst_offset == tz.std_offset) return out;
  Transition start{rule_date(tz.start, year) * 86400 + tz.start.time - tz.std_offset, tz.std_offset,
                   tz.dst_offset};
  Transition end{rule_date(tz.end, year) * 86400 + tz.end.time - tz.dst_offset, tz.dst_offset,
                 tz.std_offset};
  if (start.at > end.at) std::swap(start, end);
  out.items = {start, end};
  out.count = 2;
  return out;
}

}  // namespace harness::scheduler
