"""Fork (issue 10 item 2, SPEC §8/§9): `harnessctl fork SESSION [--at SEQ] PROMPT` starts a new
session from a copy of the source's log up to SEQ and runs PROMPT on it; the model sees exactly
that history; the source is untouched. A SEQ inside a turn is refused with the nearest points.
Ownership and narrowing: test_ownership.py."""

import json

import pytest

import harness_env as he
from fake_model import neutral_messages, user_texts
from redis_server import RedisServer, binary

SCRIPT = [
    {"tool_calls": [{"name": "bash", "input": {"command": "echo one > one.txt"}}]},
    {"text": "first done"},
]


def conversation(record):
    return [m for m in neutral_messages(record) if m["role"] != "system"]


def source_session(daemon, fake, workdir):
    fake.set_script(SCRIPT, default={"text": "forked done"})
    leaf = daemon.wait_leaf(daemon.submit("first task", "--workdir", workdir))
    assert leaf["state"] == "succeeded" and leaf["result"] == "first done"
    return leaf


def snapshot(daemon, leaf):
    code, logs, err = daemon.ctl("logs", leaf["id"], "-o", "json")
    assert code == 0, err
    session = daemon.request("GET", f"/v1/sessions/{leaf['session']}").json
    return logs, session


def seq_of(events, etype):
    [seq] = [e["seq"] for e in events if e["type"] == etype]
    return seq


@pytest.fixture(params=["sqlite", "redis"])
def store_daemon(request, make_daemon, tmp_path):
    """A daemon on each store: the fork's copy is the store's (both run the conformance suite)."""
    if request.param == "sqlite":
        return make_daemon()
    if not binary():
        pytest.skip("SKIPPED (prerequisite): redis-server is not installed (scripts/install-deps.sh)")
    r = RedisServer(tmp_path / "redis").start()
    d = make_daemon(extra={"store": r.url()})

    def stop():
        d.stop()  # before its Redis goes away
        r.stop()

    request.addfinalizer(stop)
    return d


def test_fork_at_the_end_and_in_the_middle(store_daemon, fake, workdir):
    daemon = store_daemon
    src = source_session(daemon, fake, workdir)
    before = snapshot(daemon, src)
    events = daemon.events(src["id"])
    last = events[-1]["seq"]
    turn2 = conversation(fake.replies()[-1])  # what the model saw on the source's last turn

    # At the end (default): the whole conversation, its answer, then the new prompt.
    n = len(fake.replies())
    code, out, err = daemon.ctl("fork", src["session"], "go on", "-o", "json", "--wait")
    assert code == 0, err
    end = json.loads(out)
    assert end["state"] == "succeeded" and end["result"] == "forked done"
    assert end["session"] != src["session"]
    assert end["forked_from"] == {"session": src["session"], "seq": last}
    [req] = fake.replies()[n:]
    seen = conversation(req)
    assert seen[:len(turn2)] == turn2
    assert [(m["role"], m["text"]) for m in seen[len(turn2):]] == [
        ("assistant", "first done"), ("user", "go on")]
    # The new session's log starts with the source's events, renumbered nowhere.
    fork_events = daemon.request("GET", f"/v1/sessions/{end['session']}").json
    assert fork_events["last_seq"] > last and [l["id"] for l in fork_events["leaves"]] == [end["id"]]

    # In the middle: right after the tool's result, before the model's answer.
    mid = seq_of(events, "tool_finished")
    n = len(fake.replies())
    code, out, err = daemon.ctl("fork", src["session"], "--at", str(mid), "instead", "-q")
    assert code == 0, err
    middle = daemon.wait_leaf(out.strip())
    assert middle["state"] == "succeeded" and middle["forked_from"]["seq"] == mid
    [req] = fake.replies()[n:]
    seen = conversation(req)
    # Exactly the history up to the tool result (which the source's turn 2 also saw), with the
    # new prompt in the same user message; nothing of the source's answer.
    assert len(seen) == len(turn2)
    assert seen[:-1] == turn2[:-1]
    assert seen[-1]["tool_results"] == turn2[-1]["tool_results"]
    assert seen[-1]["text"] == "instead"
    assert user_texts(req) == ["first task", "instead"]
    assert "first done" not in json.dumps(req["body"])

    # The source is untouched: the same log, the same session.
    assert snapshot(daemon, src) == before
    assert fake.errors == []


def test_fork_inside_a_turn_or_outside_the_log_is_refused(daemon, fake, workdir):
    src = source_session(daemon, fake, workdir)
    events = daemon.events(src["id"])
    started, finished = seq_of(events, "tool_started"), seq_of(events, "tool_finished")
    response = [e["seq"] for e in events if e["type"] == "model_response"][0]
    before = snapshot(daemon, src)

    code, out, err = daemon.ctl("fork", src["session"], "--at", str(started), "x")
    assert code == 2, (code, out, err)
    assert f"seq {started} of session {src['session']} is inside a turn" in err
    assert f"fork at seq {response - 1} (before) or seq {finished} (after)" in err

    r = daemon.request("POST", f"/v1/sessions/{src['session']}/fork",
                       {"prompt": "x", "seq": events[-1]["seq"] + 1})
    assert r.status == 422 and "its events are 1.." in r.json["error"]["message"], r.raw
    code, out, err = daemon.ctl("fork", src["session"], "--at", "0", "x")
    assert code == 2, (code, out, err)
    r = daemon.request("POST", f"/v1/sessions/{src['session']}/fork", {"prompt": "x", "seq": "3"})
    assert r.status == 400, r.raw
    code, out, err = daemon.ctl("fork", "ses_00000000000000000000000000", "x")
    assert code == 9, (code, out, err)

    assert [l["id"] for l in daemon.leaves()] == [src["id"]], "a refused fork wrote nothing"
    assert snapshot(daemon, src) == before


def test_fork_of_a_running_leaf_copies_its_persisted_prefix(daemon, fake, workdir):
    """The source's leaf waits at a gate (inside a turn): the default fork point is cut back to
    before that turn; the source goes on and ends as if nothing happened."""
    fake.set_script(SCRIPT, default={"text": "forked done"})
    # The fork's first user message is the source's prompt and "meanwhile" merged into one.
    fake.add_script("meanwhile", [{"text": "forked done"}])
    src_id = daemon.submit("first task", "--workdir", workdir, "--ask", "bash")
    he.wait_until(lambda: daemon.leaf(src_id)["state"] == "awaiting_approval", 30, what="the gate")
    src = daemon.leaf(src_id)
    events = daemon.events(src_id)
    response = [e["seq"] for e in events if e["type"] == "model_response"][0]

    code, out, err = daemon.ctl("fork", src["session"], "meanwhile", "-o", "json", "--wait")
    assert code == 0, err
    forked = json.loads(out)
    assert forked["state"] == "succeeded" and forked["forked_from"]["seq"] == response - 1
    assert daemon.leaf(src_id)["state"] == "awaiting_approval"

    code, _, err = daemon.ctl("approve", src_id)
    assert code == 0, err
    src = daemon.wait_leaf(src_id)
    assert src["state"] == "succeeded" and src["result"] == "first done"
