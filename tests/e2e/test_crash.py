"""kill -9 of harnessd at the worst moments (SPEC §7): no submitted leaf is lost, a started but
unfinished tool call is not run again (the model is told it was interrupted), and a model call
in flight is simply repeated."""

import harness_env as he
from fake_model import tool_results

SLOW_TOOL = "echo start >> count.txt; sleep 3; echo end >> count.txt"


def open_tool_calls(d, leaf_id):
    """call_ids with a tool_started event and no tool_finished yet."""
    started, finished = set(), set()
    for e in d.events(leaf_id):
        if e["type"] == "tool_started":
            started.add(e["data"]["call_id"])
        elif e["type"] == "tool_finished":
            finished.add(e["data"]["call_id"])
    return started - finished


def test_kill_during_tool_call_does_not_rerun_it(daemon, fake, workdir):
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {"command": SLOW_TOOL}}]},
        {"text": "recovered"},
    ])
    leaf_id = daemon.submit("count once", "--workdir", workdir)
    count = workdir / "count.txt"
    he.wait_until(lambda: open_tool_calls(daemon, leaf_id), 30, what="tool_started without tool_finished")
    he.wait_until(lambda: count.exists() and "start" in count.read_text(), 30, what="the command to start")

    daemon.kill9()
    daemon.restart()

    leaf = daemon.wait_leaf(leaf_id, timeout=60)
    assert leaf["state"] == "succeeded" and leaf["result"] == "recovered", leaf
    assert count.read_text().count("start") == 1, "the interrupted tool call ran again"

    [after] = [r for r in fake.replies() if r["turn"] == 1]
    [result] = tool_results(after).values()
    assert "interrupted" in result.lower()

    events = daemon.events(leaf_id)
    types = [e["type"] for e in events]
    assert "leaf_recovered" in types
    assert types.count("tool_started") == 1
    [finished] = [e for e in events if e["type"] == "tool_finished"]
    assert finished["data"]["interrupted"] is True
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_kill_during_model_call_repeats_it(daemon, fake, workdir):
    fake.set_script([{"delay": 60}, {"tool_calls": [{"name": "bash", "input": {"command": "echo x >> ran.txt"}}]},
                     {"text": "after crash"}])
    leaf_id = daemon.submit("survive", "--workdir", workdir)
    assert fake.wait_for(lambda f: f.in_flight == 1, timeout=30)

    daemon.kill9()
    daemon.restart()

    leaf = daemon.wait_leaf(leaf_id, timeout=60)
    assert leaf["state"] == "succeeded" and leaf["result"] == "after crash", leaf
    assert (workdir / "ran.txt").read_text() == "x\n"
    turns = [r["turn"] for r in fake.model_requests()]
    assert turns[:2] == [0, 0] and turns.count(0) == 2  # the lost call, then its repeat
    assert "leaf_recovered" in daemon.event_types(leaf_id)


def test_every_submitted_leaf_survives_a_crash(daemon, fake):
    fake.set_script([], default={"text": "ok", "delay": 0.3})
    ids = [daemon.submit(f"task {i}") for i in range(6)]
    daemon.kill9()
    daemon.restart()

    code, out, err = daemon.ctl("ls", "-o", "json")
    assert code == 0, err
    assert set(ids) <= set(he.ls_ids(out))
    for leaf_id in ids:
        leaf = daemon.wait_leaf(leaf_id, timeout=60)
        assert leaf["state"] == "succeeded" and leaf["result"] == "ok"


def test_finished_leaf_is_untouched_by_restart(daemon, fake, workdir):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "echo x >> once.txt"}}]},
                     {"text": "done"}])
    leaf_id = daemon.submit("once", "--workdir", workdir)
    before = daemon.wait_leaf(leaf_id)
    n_requests = len(fake.model_requests())
    daemon.kill9()
    daemon.restart()
    after = daemon.leaf(leaf_id)
    assert after["state"] == "succeeded" and after["finished_at"] == before["finished_at"]
    assert after["last_seq"] == before["last_seq"]
    assert (workdir / "once.txt").read_text() == "x\n"
    assert len(fake.model_requests()) == n_requests
