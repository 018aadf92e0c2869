"""Budgets and the inactivity limit (SPEC §4, issue 10 item 3), each reached for real against the
fake model: the leaf ends failed with its own reason and `harnessctl wait` exits 7."""

import json
import time

import harness_env as he

TOOL = {"tool_calls": [{"name": "bash", "input": {"command": "echo step"}}]}
PRICES = {"price_input_per_mtok": 1.0, "price_output_per_mtok": 2.0,
          "price_cache_read_per_mtok": 0.1, "price_cache_write_per_mtok": 1.25}
# Per turn: 1000 plain input, 2000 cache read, 400 cache write, 100 output tokens:
# (1000*1 + 2000*0.1 + 400*1.25 + 100*2) / 1e6 = 0.0019 USD.
PRICED = {**TOOL, "usage": {"input_tokens": 1000, "output_tokens": 100,
                            "cache_read_input_tokens": 2000, "cache_creation_input_tokens": 400}}
TURN_USD = 0.0019


def wait(d, leaf_id):
    return d.ctl("wait", leaf_id, "--timeout", "60s", timeout=120)


def priced_daemon(make_daemon, fake, extra=None):
    return make_daemon(models={"default": he.anthropic_model(fake, **PRICES)}, extra=extra)


def test_budget_usd_crossed_on_the_second_turn(make_daemon, fake):
    d = priced_daemon(make_daemon, fake)
    fake.set_script([], default=PRICED)
    leaf_id = d.submit("spend", "--budget-usd", "0.003")
    code, _, err = wait(d, leaf_id)
    assert code == 7, err
    code, out, err = d.ctl("status", leaf_id, "-o", "json")
    assert code == 0, err
    leaf = json.loads(out)
    assert leaf["state"] == "failed" and leaf["reason"] == "budget", leaf
    assert "budget_usd" in leaf["message"]
    assert leaf["budget_usd"] == 0.003
    assert abs(leaf["usage"]["cost_usd"] - 2 * TURN_USD) < 1e-9
    assert leaf["usage"]["input_tokens"] == 2 * 3400
    assert leaf["usage"]["cache_read_input_tokens"] == 4000
    assert len(fake.replies()) == 2  # the response that crossed the budget ended the leaf
    # The second response's tool call never ran.
    assert d.event_types(leaf_id).count("tool_finished") == 1
    with open(f"{leaf['envelope']}/result.json") as f:
        result = json.load(f)
    assert result["reason"] == "budget"
    assert abs(result["usage"]["cost_usd"] - 2 * TURN_USD) < 1e-9


def test_budget_usd_from_the_config_default(make_daemon, fake):
    d = priced_daemon(make_daemon, fake, extra={"budget_usd": 0.003})
    fake.set_script([], default=PRICED)
    leaf_id = d.submit("spend")
    code, _, err = wait(d, leaf_id)
    assert code == 7, err
    leaf = d.leaf(leaf_id)
    assert leaf["reason"] == "budget" and leaf["budget_usd"] == 0.003
    assert len(fake.replies()) == 2


def test_token_budget_crossed_on_the_second_turn(daemon, fake):
    # The fake's default usage: 100 in + 20 out, then 110 in + 21 out.
    fake.set_script([], default=TOOL)
    leaf_id = daemon.submit("count", "--token-budget", "200")
    code, _, err = wait(daemon, leaf_id)
    assert code == 7, err
    leaf = daemon.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "budget", leaf
    assert "token_budget" in leaf["message"] and leaf["token_budget"] == 200
    assert leaf["usage"]["input_tokens"] + leaf["usage"]["output_tokens"] == 251
    assert len(fake.replies()) == 2


def test_a_leaf_within_its_budget_succeeds(make_daemon, fake):
    d = priced_daemon(make_daemon, fake)
    fake.set_script([PRICED, {"text": "done", "usage": {"input_tokens": 10, "output_tokens": 5}}])
    leaf_id = d.submit("spend a little", "--budget-usd", "1")
    code, _, err = wait(d, leaf_id)
    assert code == 0, err
    leaf = d.leaf(leaf_id)
    assert abs(leaf["usage"]["cost_usd"] - (TURN_USD + 20e-6)) < 1e-9
    code, out, _ = d.ctl("status", leaf_id)
    assert "USD" in out


def test_inactivity_crossed_by_a_tool_that_sleeps(daemon, fake):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "sleep 60"}}]},
                     {"text": "never"}])
    t0 = time.monotonic()
    leaf_id = daemon.submit("sleep", "--inactivity", "2s")
    code, _, err = wait(daemon, leaf_id)
    assert code == 7, err
    assert time.monotonic() - t0 < 30
    leaf = daemon.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "inactivity", leaf
    assert leaf["inactivity_s"] == 2
    types = daemon.event_types(leaf_id)
    assert "tool_started" in types and "tool_finished" not in types
    assert len(fake.replies()) == 1


def test_a_resumed_leaf_keeps_its_sessions_budget(daemon, fake):
    # Widening it is refused for non-admins: tests/unit/daemon/resume_rules_test.cpp.
    fake.set_script([], default={"text": "ok"})
    leaf_id = daemon.submit("hi", "--token-budget", "1000")
    assert wait(daemon, leaf_id)[0] == 0
    session = daemon.leaf(leaf_id)["session"]
    code, out, err = daemon.ctl("resume", session, "more", "-q")
    assert code == 0, err
    assert daemon.leaf(out.strip())["token_budget"] == 1000  # pinned to the session


def test_bad_budget_flags_are_usage_errors(daemon_factory):
    d = daemon_factory()
    assert d.ctl("submit", "x", "--inactivity", "soon")[0] == 2
    assert d.ctl("submit", "x", "--token-budget", "-5")[0] == 2
