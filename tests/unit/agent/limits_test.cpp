// Budgets of a leaf (SPEC §4): what a response costs, and when a leaf may call the model no more.
#include "lib/agent/limits.hpp"

#include <doctest/doctest.h>

#include "lib/model/profiles.hpp"

namespace harness::agent {

TEST_CASE("cost_usd prices plain input, output, cache reads and cache writes apart") {
  model::ModelProfile p;
  p.price_input_per_mtok = 3;
  p.price_output_per_mtok = 15;
  p.price_cache_read_per_mtok = 0.3;
  p.price_cache_write_per_mtok = 3.75;
  // 10k input of which 6k cache reads and 2k cache writes; 1k output.
  double c = model::cost_usd(p, 10'000, 1'000, 6'000, 2'000);
  CHECK(c == doctest::Approx((2'000 * 3 + 1'000 * 15 + 6'000 * 0.3 + 2'000 * 3.75) / 1e6));
  CHECK(model::cost_usd(model::ModelProfile{}, 1'000'000, 1'000'000, 0, 0) == 0);
  // A provider reporting more cache tokens than input tokens never gives a negative part.
  CHECK(model::cost_usd(p, 10, 0, 100, 0) == doctest::Approx(100 * 0.3 / 1e6));
}

TEST_CASE("budget_reached: at or over a budget, never without one") {
  model::Leaf leaf;
  leaf.usage.input_tokens = 150;
  leaf.usage.output_tokens = 50;
  leaf.usage.cost_usd = 0.002;
  CHECK_FALSE(budget_reached(leaf));
  leaf.spec.token_budget = 201;
  CHECK_FALSE(budget_reached(leaf));
  leaf.spec.token_budget = 200;
  auto tokens = budget_reached(leaf);
  REQUIRE(tokens);
  CHECK(tokens->find("token_budget of 200") != std::string::npos);
  leaf.spec.token_budget = 0;
  leaf.spec.budget_usd = 0.003;
  CHECK_FALSE(budget_reached(leaf));
  leaf.spec.budget_usd = 0.002;
  auto usd = budget_reached(leaf);
  REQUIRE(usd);
  CHECK(usd->find("budget_usd of 0.002 USD") != std::string::npos);
}

TEST_CASE("usage JSON carries cache tokens and cost and sums them per leaf") {
  model::Usage a;
  a.input_tokens = 10;
  a.cache_read_tokens = 4;
  a.cost_usd = 0.5;
  model::Usage b = model::usage_from_json(model::to_json(a));
  CHECK(b.cache_read_tokens == 4);
  CHECK(b.cost_usd == 0.5);
  b += a;
  CHECK(b.cost_usd == 1.0);
  CHECK(b.input_tokens == 20);
  // Hostile values from a stored event are ignored, not trusted.
  model::Usage bad = model::usage_from_json(model::Json{{"cost_usd", -3}, {"input_tokens", "x"}});
  CHECK(bad.cost_usd == 0);
  CHECK(bad.input_tokens == 0);
}

}  // namespace harness::agent
