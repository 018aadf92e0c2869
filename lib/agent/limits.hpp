#pragma once
// The budgets of a leaf (SPEC §4): token_budget and budget_usd, checked before each model call
// and after each response. Pure functions over the leaf row; the runner acts on them. The
// inactivity limit is a timer in the runner (runner.cpp).

#include <optional>
#include <string>

#include "lib/model/leaf.hpp"

namespace harness::agent {

// Why `leaf` may start no further model call (its spend has reached a budget), or nullopt.
// The text is the leaf's message when it ends failed with reason `budget`.
std::optional<std::string> budget_reached(const model::Leaf& leaf);

// "0.000123 USD": enough digits to see a small spend.
std::string format_usd(double usd);

}  // namespace harness::agent
