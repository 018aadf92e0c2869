// A resumed leaf inherits its session's settings and may only narrow them.
#include "lib/daemon/resume_rules.hpp"

#include <doctest/doctest.h>

namespace harness::daemon {
namespace {

model::Leaf previous() {
  model::Leaf l;
  l.spec.sandbox = "default";
  l.spec.workdir = "/srv/work";
  l.spec.workspace = "/srv/work";
  l.spec.max_turns = 10;
  l.spec.timeout_ms = 600'000;
  return l;
}

SubmitPlan plan() {
  SubmitPlan p;
  p.session = "ses_1";
  p.spec.sandbox = "";
  return p;
}

config::Config cfg() {
  config::Config c;
  c.default_timeout_ms = 3'600'000;
  return c;
}

}  // namespace

TEST_CASE("resume: unset limits come from the session's latest leaf") {
  SubmitPlan p = plan();
  p.spec.max_turns = 50;  // the default parse_submit fills in
  REQUIRE(pin_to_session(p, previous(), cfg(), false));
  CHECK(p.spec.max_turns == 10);
  CHECK(p.spec.timeout_ms == 600'000);
}

TEST_CASE("resume: narrowing is allowed, widening is forbidden unless admin") {
  SubmitPlan narrower = plan();
  narrower.spec.sandbox = "default";
  narrower.spec.workdir = "/srv/work/";
  narrower.spec.max_turns = 5;
  narrower.max_turns_given = true;
  narrower.spec.timeout_ms = 60'000;
  narrower.timeout_given = true;
  REQUIRE(pin_to_session(narrower, previous(), cfg(), false));
  CHECK(narrower.spec.max_turns == 5);
  CHECK(narrower.spec.timeout_ms == 60'000);

  auto refused = [](SubmitPlan p, const char* words) {
    Status s = pin_to_session(p, previous(), cfg(), false);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::forbidden);
    CHECK_MESSAGE(s.error().message.find(words) != std::string::npos, s.error().message);
    CHECK(pin_to_session(p, previous(), cfg(), true));  // an admin may
  };
  SubmitPlan sandbox = plan();
  sandbox.spec.sandbox = "networked";
  refused(sandbox, "sandbox profile 'default', not 'networked'");
  SubmitPlan workdir = plan();
  workdir.spec.workdir = "/etc";
  refused(workdir, "works in /srv/work, not /etc");
  SubmitPlan turns = plan();
  turns.spec.max_turns = 11;
  turns.max_turns_given = true;
  refused(turns, "at most 10 turns, not 11");
  SubmitPlan timeout = plan();
  timeout.spec.timeout_ms = 0;  // "the daemon's default" is 1h: longer than 10m
  timeout.timeout_given = true;
  refused(timeout, "timeout of 10m0s, not 1h0m");
}

}  // namespace harness::daemon

namespace harness::daemon {

TEST_CASE("resume: budgets are pinned to the session; a resume may only lower them") {
  model::Leaf prev = previous();
  prev.spec.token_budget = 1000;
  prev.spec.budget_usd = 0.5;
  prev.spec.inactivity_ms = 60'000;

  SubmitPlan inherit = plan();
  REQUIRE(pin_to_session(inherit, prev, cfg(), false));
  CHECK(inherit.spec.token_budget == 1000);
  CHECK(inherit.spec.budget_usd == 0.5);
  CHECK(inherit.spec.inactivity_ms == 60'000);

  SubmitPlan lower = plan();
  lower.spec.token_budget = 10;
  lower.token_budget_given = true;
  lower.spec.budget_usd = 0.1;
  lower.budget_usd_given = true;
  REQUIRE(pin_to_session(lower, prev, cfg(), false));
  CHECK(lower.spec.token_budget == 10);

  auto refused = [&](SubmitPlan p, const char* words) {
    Status s = pin_to_session(p, prev, cfg(), false);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ErrorCode::forbidden);
    CHECK_MESSAGE(s.error().message.find(words) != std::string::npos, s.error().message);
    CHECK(pin_to_session(p, prev, cfg(), true));
  };
  SubmitPlan more_tokens = plan();
  more_tokens.spec.token_budget = 5000;
  more_tokens.token_budget_given = true;
  refused(more_tokens, "token budget of 1000");
  SubmitPlan more_usd = plan();
  more_usd.spec.budget_usd = 2;
  more_usd.budget_usd_given = true;
  refused(more_usd, "USD");
  SubmitPlan longer = plan();
  longer.spec.inactivity_ms = 120'000;
  longer.inactivity_given = true;
  refused(longer, "inactivity limit of 1m");
}

}  // namespace harness::daemon
