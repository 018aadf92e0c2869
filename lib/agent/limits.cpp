#include "lib/agent/limits.hpp"

#include <cstdio>

namespace harness::agent {

std::string format_usd(double usd) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6g USD", usd);
  return buf;
}

std::optional<std::string> budget_reached(const model::Leaf& leaf) {
  const auto& s = leaf.spec;
  std::int64_t tokens = leaf.usage.input_tokens + leaf.usage.output_tokens;
  if (s.token_budget > 0 && tokens >= s.token_budget)
    return "used " + std::to_string(tokens) + " tokens, reaching its token_budget of " +
           std::to_string(s.token_budget);
  if (s.budget_usd > 0 && leaf.usage.cost_usd >= s.budget_usd)
    return "spent " + format_usd(leaf.usage.cost_usd) + ", reaching its budget_usd of " +
           format_usd(s.budget_usd);
  return std::nullopt;
}

}  // namespace harness::agent
