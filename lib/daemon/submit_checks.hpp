#pragma once
// Bounds on the numbers and paths of a submit body (docs/api.md "Limits"): each check names the
// field it refuses. Pure functions; parse_submit (submit.cpp) calls them.

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/result.hpp"
#include "lib/model/json.hpp"

namespace harness::daemon {

inline constexpr double k_min_timeout_s = 1;
inline constexpr double k_max_timeout_s = 365.0 * 24 * 3600;
inline constexpr int k_max_max_turns = 10000;

// body["timeout_s"] in ms; 0 when absent or null (the daemon's default). bad_request when it is
// not a number; invalid when it is not finite or outside 1 s … 365 days.
Result<std::int64_t> timeout_ms_field(const model::Json& body);
// body["max_turns"], or `fallback` when absent or null. bad_request when it is not an integer;
// invalid outside 1 … 10000.
Result<int> max_turns_field(const model::Json& body, int fallback);
// body["token_budget"]: 0 when absent or null. bad_request when not an integer; invalid outside
// 1 … 10^12.
Result<std::int64_t> token_budget_field(const model::Json& body);
// body["budget_usd"]: 0 when absent or null. bad_request when not a number; invalid when not
// finite or not above 0 (up to 10^9).
Result<double> budget_usd_field(const model::Json& body);
// body["inactivity_s"] in ms: 0 when absent or null. bad_request when not a number; invalid
// outside 1 s … 365 days.
Result<std::int64_t> inactivity_ms_field(const model::Json& body);
// An input file's path: relative to the workspace and naming a file in it. invalid when it is
// empty, absolute, ".", "..", has a ".." component, ends in "/", names the workspace itself or
// contains a NUL byte.
Status check_input_path(std::string_view path);

}  // namespace harness::daemon
