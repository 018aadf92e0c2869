"""SIGTERM (issue 7 item 8): the daemon stops accepting, lets a model call in flight finish so
its answer is persisted (within shutdown_grace), and the next start recovers the leaf "after
shutdown" without paying for that call twice."""

import time

import harness_env as he


def recovered(d, leaf_id):
    """The leaf's leaf_recovered data, without `node` (the daemon's name, docs/api.md)."""
    return [{k: v for k, v in e["data"].items() if k != "node"}
            for e in d.events(leaf_id) if e["type"] == "leaf_recovered"]


def test_sigterm_persists_the_answer_in_flight_and_the_restart_says_shutdown(make_daemon, fake, workdir):
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {"command": "echo ran >> ran.txt"}}], "delay": 1},
        {"text": "done"},
    ])
    d = make_daemon(extra={"shutdown_grace": "10s"})  # the default
    leaf_id = d.submit("answer slowly", "--workdir", workdir)
    assert fake.wait_for(lambda f: f.in_flight == 1)

    t0 = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - t0 < 8, "waited for the grace, not for the call"
    assert not (workdir / "ran.txt").exists(), "a tool started during shutdown"

    d.restart()
    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "done", leaf
    types = d.event_types(leaf_id)
    assert types.index("model_response") < types.index("leaf_recovered") < types.index("tool_started")
    assert recovered(d, leaf_id) == [{"after": "shutdown"}]
    assert [r["turn"] for r in fake.model_requests()] == [0, 1]  # turn 0 was paid for once
    assert (workdir / "ran.txt").read_text() == "ran\n"


def test_a_call_longer_than_shutdown_grace_is_cut_and_repeated_after_restart(daemon_factory, fake):
    fake.set_script([{"delay": 60}, {"text": "second try"}])
    d = daemon_factory(extra={"shutdown_grace": "1s"})
    leaf_id = d.submit("too slow to wait for")
    assert fake.wait_for(lambda f: f.in_flight == 1)

    t0 = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - t0 < 8
    assert "shutdown_grace elapsed" in d.log_text()

    d.restart()
    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "second try", leaf
    assert recovered(d, leaf_id) == [{"after": "shutdown"}]
    assert [r["turn"] for r in fake.model_requests()] == [0, 0]


def test_a_crash_after_a_clean_restart_is_still_a_crash(daemon_factory, fake):
    fake.set_script([], default={"text": "ok", "delay": 60})
    d = daemon_factory(extra={"shutdown_grace": "500ms"})
    leaf_id = d.submit("twice")
    assert fake.wait_for(lambda f: len(f.model_requests()) == 1)
    d.stop()
    d.restart()
    he.wait_until(lambda: len(recovered(d, leaf_id)) == 1, 30, what="the first recovery")
    d.kill9()
    d.restart()
    he.wait_until(lambda: len(recovered(d, leaf_id)) == 2, 30, what="the second recovery")
    assert recovered(d, leaf_id) == [{"after": "shutdown"}, {"after": "crash"}]
