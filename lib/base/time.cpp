#include "lib/base/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace harness {

TimeMs now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_rfc3339(TimeMs t) {
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  int ms = static_cast<int>(t % 1000);
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

Result<TimeMs> parse_rfc3339(std::string_view s) {
  std::tm tm{};
  int ms = 0;
  int consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6)
    return make_error(ErrorCode::bad_request, "invalid timestamp '" + str + "'");
  std::string_view rest = s.substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    int digits = 0;
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      if (digits < 3) ms = ms * 10 + (rest.front() - '0');
      ++digits;
      rest.remove_prefix(1);
    }
    for (; digits < 3; ++digits) ms *= 10;
  }
  if (rest != "Z") return make_error(ErrorCode::bad_request, "invalid timestamp '" + str + "'");
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<TimeMs>(timegm(&tm)) * 1000 + ms;
}

Result<std::int64_t> parse_duration_ms(std::string_view s) {
  auto bad = [&] {
    return make_error(ErrorCode::bad_request,
                      "invalid duration '" + std::string(s) + "' (use e.g. 90s, 5m, 1h)");
  };
  if (s.empty()) return bad();
  std::int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    std::int64_t n = 0;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + (s[i] - '0');
      if (n > 1'000'000'000) return bad();
      ++i;
    }
    if (i == start) return bad();
    std::string_view unit;
    size_t ustart = i;
    while (i < s.size() && !(s[i] >= '0' && s[i] <= '9')) ++i;
    unit = s.substr(ustart, i - ustart);
    if (unit.empty() || unit == "s")
      total += n * 1000;
    else if (unit == "ms")
      total += n;
    else if (unit == "m")
      total += n * 60'000;
    else if (unit == "h")
      total += n * 3'600'000;
    else if (unit == "d")
      total += n * 86'400'000;
    else
      return bad();
    if (unit.empty() && i < s.size()) return bad();
  }
  return total;
}

std::string format_duration_ms(std::int64_t ms) {
  char buf[64];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>((ms % 60'000) / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>((ms % 3'600'000) / 60'000));
  }
  return buf;
}

}  // namespace harness
