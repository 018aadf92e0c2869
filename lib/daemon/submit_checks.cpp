#include "lib/daemon/submit_checks.hpp"

#include <cmath>

namespace harness::daemon {
namespace {
Error bad(std::string m) {
  return make_error(ErrorCode::bad_request, std::move(m));
}
Error invalid(std::string m) {
  return make_error(ErrorCode::invalid, std::move(m));
}
const model::Json* present(const model::Json& body, const char* key) {
  auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}
}  // namespace

Result<std::int64_t> timeout_ms_field(const model::Json& body) {
  const model::Json* v = present(body, "timeout_s");
  if (!v) return std::int64_t{0};
  if (!v->is_number()) return bad("field 'timeout_s' must be a number of seconds");
  double s = v->get<double>();
  if (!std::isfinite(s) || s < k_min_timeout_s || s > k_max_timeout_s)
    return invalid("timeout_s must be between 1 and 31536000 seconds (365 days)");
  return static_cast<std::int64_t>(std::llround(s * 1000.0));
}

Result<int> max_turns_field(const model::Json& body, int fallback) {
  const model::Json* v = present(body, "max_turns");
  if (!v) return fallback;
  if (!v->is_number_integer()) return bad("field 'max_turns' must be an integer");
  // int_at refuses what does not fit an int64; the sentinel is out of range either way.
  std::int64_t n = model::int_at(body, "max_turns", -1);
  if (n < 1 || n > k_max_max_turns)
    return invalid("max_turns must be between 1 and " + std::to_string(k_max_max_turns));
  return static_cast<int>(n);
}

Result<std::int64_t> token_budget_field(const model::Json& body) {
  const model::Json* v = present(body, "token_budget");
  if (!v) return std::int64_t{0};
  if (!v->is_number_integer()) return bad("field 'token_budget' must be an integer");
  std::int64_t n = model::int_at(body, "token_budget", -1);
  if (n < 1 || n > 1'000'000'000'000) return invalid("token_budget must be between 1 and 10^12");
  return n;
}

Result<double> budget_usd_field(const model::Json& body) {
  const model::Json* v = present(body, "budget_usd");
  if (!v) return 0.0;
  if (!v->is_number()) return bad("field 'budget_usd' must be a number of US dollars");
  double d = v->get<double>();
  if (!std::isfinite(d) || d <= 0 || d > 1e9)
    return invalid("budget_usd must be above 0 and at most 1000000000");
  return d;
}

Result<std::int64_t> inactivity_ms_field(const model::Json& body) {
  const model::Json* v = present(body, "inactivity_s");
  if (!v) return std::int64_t{0};
  if (!v->is_number()) return bad("field 'inactivity_s' must be a number of seconds");
  double s = v->get<double>();
  if (!std::isfinite(s) || s < k_min_timeout_s || s > k_max_timeout_s)
    return invalid("inactivity_s must be between 1 and 31536000 seconds (365 days)");
  return static_cast<std::int64_t>(std::llround(s * 1000.0));
}

Status check_input_path(std::string_view p) {
  std::string shown(p);
  if (p.empty()) return invalid("input path is empty");
  if (p.find('\0') != std::string_view::npos) {
    for (char& c : shown)
      if (c == '\0') c = '?';
    return invalid("input path '" + shown + "' contains a NUL byte");
  }
  if (p.front() == '/')
    return invalid("input path '" + shown + "' must be relative to the workspace");
  if (p.back() == '/')
    return invalid("input path '" + shown + "' must name a file, not a directory");
  bool names_something = false;
  while (!p.empty()) {
    auto slash = p.find('/');
    std::string_view part = p.substr(0, slash);
    if (part == "..") return invalid("input path '" + shown + "' escapes the workspace");
    if (!part.empty() && part != ".") names_something = true;
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
  }
  if (!names_something) return invalid("input path '" + shown + "' names the workspace itself");
  return {};
}

}  // namespace harness::daemon
