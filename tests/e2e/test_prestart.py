"""Speculative sandbox start: a leaf opens its bwrap sandbox while its first model call is in
flight, so its first tool call finds it ready; a leaf that never calls a tool does not leave it
behind."""

import os

import harness_env as he
from test_metrics import samples, scrape

STARTS = 'harness_sandbox_starts_total{driver="bwrap"}'


def bwrap_starts(d):
    return samples(scrape(d)).get(STARTS, 0.0)


def children(pid):
    """Pids of the direct children of process `pid` (all its threads)."""
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out += f.read().split()
    return out


def test_the_sandbox_starts_during_the_first_model_call(daemon, fake, workdir):
    fake.set_script([
        {"delay": 2.0 * he.TIMEOUT_SCALE,
         "tool_calls": [{"name": "bash", "input": {"command": "echo from-the-sandbox"}}]},
        {"text": "done"},
    ])
    before = bwrap_starts(daemon)
    leaf_id = daemon.submit("go", "--workdir", workdir)
    assert fake.wait_for(lambda f: len(f.requests) >= 1, timeout=30)
    # The model has not answered yet, so no tool call asked for the sandbox: it started anyway.
    assert he.wait_until(lambda: bwrap_starts(daemon) > before, timeout=1.5, what="a bwrap start")
    assert len(fake.requests) == 1
    leaf = daemon.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded", leaf
    # The tool call used the sandbox started ahead of it: no second start.
    assert bwrap_starts(daemon) == before + 1
    out = [e for e in daemon.events(leaf_id) if e["type"] == "tool_finished"]
    assert "from-the-sandbox" in out[0]["data"]["output"]


def test_a_leaf_without_tool_calls_leaves_no_sandbox_behind(daemon, fake, workdir):
    fake.set_script([{"delay": 3.0 * he.TIMEOUT_SCALE, "text": "no tools needed"}])
    before = bwrap_starts(daemon)
    leaf_id = daemon.submit("go", "--workdir", workdir)
    assert he.wait_until(lambda: bwrap_starts(daemon) > before, timeout=2.0, what="a bwrap start")
    assert children(daemon.proc.pid), "the started sandbox runs as a child of the daemon"
    assert daemon.wait_leaf(leaf_id)["state"] == "succeeded"
    assert he.wait_until(lambda: not children(daemon.proc.pid), timeout=10), children(daemon.proc.pid)


def test_at_most_eight_leaves_hold_a_sandbox_started_ahead(make_daemon, fake, workdir):
    d = make_daemon(max_running=12)
    fake.set_script([{"delay": 3.0 * he.TIMEOUT_SCALE, "text": "no tools needed"}])
    before = bwrap_starts(d)
    ids = [d.submit("go", "--workdir", workdir) for _ in range(12)]
    assert fake.wait_for(lambda f: len(f.requests) >= 12, timeout=30)
    assert he.wait_until(lambda: bwrap_starts(d) >= before + 8, timeout=2.0, what="8 bwrap starts")
    assert bwrap_starts(d) == before + 8
    for i in ids:
        assert d.wait_leaf(i)["state"] == "succeeded"
    assert bwrap_starts(d) == before + 8
