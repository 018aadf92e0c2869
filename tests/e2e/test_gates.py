"""Human gates (issue #3, docs/api.md "Human gates, policies and identity"): a tool call the
policy marks `ask` parks the leaf at a gate; `approvals` shows exactly what would run; approve
runs it in the sandbox, reject tells the model no, reject --stop ends the leaf `rejected`;
`request_approval` round-trips; gate_timeout expires; the first verdict wins; deny rules refuse;
--ask/--allow narrow at submit; resume cannot widen; gates and verdicts survive kill -9.

The gated command is `echo pushing …` (the rule `bash:echo pushing*`) so that it exists in any
sandbox and leaves a file behind when it really ran."""

import grp
import json
import os
import pwd
import subprocess

import pytest

import harness_env as he
from fake_model import tool_results

RULE = "bash:echo pushing*"
PUSH = "echo pushing > pushed.txt"
ASK_POLICY = {"default": {"ask": [RULE]}}
TERMINAL = ("succeeded", "failed", "rejected", "cancelled")


def me():
    """The name the daemon gives this test's uid (SO_PEERCRED → passwd)."""
    return pwd.getpwuid(os.getuid()).pw_name


def my_group():
    """This test's primary group: the socket group when a test configures [auth]."""
    return grp.getgrgid(os.getgid()).gr_name


def bash(command):
    return {"tool_calls": [{"name": "bash", "input": {"command": command}}]}


def gate_daemon(make_daemon, policies=ASK_POLICY, auth=None):
    """A started daemon whose config has `[policies.*]` (and `[auth]` when given)."""
    extra = {"policies": policies}
    if auth is not None:
        extra["auth"] = auth
    d = he.use_tree_config(make_daemon(extra=extra, start=False))
    return d.start()


def wait_parked(d, leaf_id, gate=1, timeout=30):
    """Polls `harnessctl status -o json` until the leaf waits at gate number `gate`; returns the
    status. Fails at once if the leaf ends instead."""
    def parked():
        st = d.ctl_json("status", leaf_id)
        assert st["state"] not in TERMINAL, f"leaf ended instead of parking at gate {gate}: {st}"
        g = st.get("gate") or {}
        return st if st["state"] == "awaiting_approval" and g.get("gate") == gate else None
    return he.wait_until(parked, timeout, interval=0.1, what=f"{leaf_id} to park at gate {gate}")


def events_of(d, leaf_id, etype):
    return [e for e in d.events(leaf_id) if e["type"] == etype]


def result_for_gated_call(fake, turn=1):
    """The one tool result the model got in its request for `turn`."""
    [req] = [r for r in fake.replies() if r["turn"] == turn]
    [result] = tool_results(req).values()
    return result


def test_ask_parks_the_leaf_and_approve_runs_the_command(make_daemon, fake, workdir):
    d = gate_daemon(make_daemon)
    fake.set_script([bash(PUSH), {"text": "pushed"}])
    leaf_id = d.submit("push it", "--workdir", workdir)

    st = wait_parked(d, leaf_id)
    assert st["gate"]["command"] == PUSH and st["gate"]["tool"] == "bash"
    assert st["gate"]["rule"] == RULE and st["gate"]["kind"] == "policy"
    assert st["policy"]["name"] == "default" and RULE in st["policy"]["ask"]
    assert st["submitted_by"]["name"] == me() and st["submitted_by"]["transport"] == "unix"
    assert not (workdir / "pushed.txt").exists(), "the gated command ran before any verdict"

    approvals = d.ctl_json("approvals")
    assert approvals["schema"] == 1
    [gate] = [a for a in approvals["approvals"] if a["leaf"] == leaf_id]
    assert gate["gate"] == 1 and gate["tool"] == "bash" and gate["command"] == PUSH
    assert gate["rule"] == RULE and gate["submitted_by"]["name"] == me()
    assert gate["input"] == {"command": PUSH} and gate["opened_at"]

    code, out, err = d.ctl("approvals")
    assert code == 0, err
    assert leaf_id in out and PUSH in out and "SUBMITTED BY" in out
    code, out, _ = d.ctl("status", leaf_id)
    assert code == 0 and "awaiting_approval" in out and PUSH in out and "default" in out

    code, _, err = d.ctl("wait", leaf_id, "--timeout", "1s")
    assert code == 8, err
    assert "awaiting_approval" in err

    code, out, err = d.ctl("approve", leaf_id, "-m", "ok")
    assert code == 0, err
    assert f"approved gate 1 of {leaf_id}" in out

    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 0, err
    assert (workdir / "pushed.txt").read_text() == "pushing\n"
    assert d.leaf(leaf_id)["result"] == "pushed"
    assert all(a["leaf"] != leaf_id for a in d.ctl_json("approvals")["approvals"])

    events = d.events(leaf_id)
    types = [e["type"] for e in events]
    assert types.index("gate_opened") < types.index("gate_decided") < types.index("tool_started")
    [opened] = [e for e in events if e["type"] == "gate_opened"]
    assert opened["data"]["gate"] == 1 and opened["data"]["command"] == PUSH
    assert opened["data"]["rule"] == RULE
    [decided] = [e for e in events if e["type"] == "gate_decided"]
    assert decided["data"]["verdict"] == "approved" and decided["data"]["message"] == "ok"
    assert decided["data"]["by"]["name"] == me() and decided["data"]["by"]["transport"] == "unix"
    assert decided["data"]["stop"] is False and decided["data"]["at"]
    assert types.count("tool_started") == 1

    code, out, err = d.ctl("logs", leaf_id)
    assert code == 0, err
    assert "⏸ gate 1" in out and PUSH in out
    assert f"gate 1 approved by {me()}: ok" in out


def test_run_shows_the_gate_live_and_continues_after_approve(make_daemon, fake, workdir):
    d = gate_daemon(make_daemon)
    fake.set_script([bash(PUSH), {"text": "pushed live"}])
    argv = [he.harnessctl_path(), "--socket", str(d.socket), "run", "push it", "--workdir", str(workdir)]
    run = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=d.ctl_env(), stdin=subprocess.DEVNULL)
    try:
        [leaf] = he.wait_until(lambda: [l for l in d.leaves() if l["state"] == "awaiting_approval"], 30,
                               what="the run's leaf to park")
        code, _, err = d.ctl("approve", leaf["id"], "--gate", "1", "-m", "ship it")
        assert code == 0, err
        out, err = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, err
    assert out.strip() == "pushed live"
    assert f"⏸ gate 1: approval needed for `{PUSH}` (rule {RULE})" in err
    assert f"harnessctl approve {leaf['id']} --gate 1" in err
    assert f"✔ gate 1 approved by {me()}: ship it" in err


def test_reject_tells_the_model_no_and_the_leaf_continues(make_daemon, fake, workdir):
    d = gate_daemon(make_daemon)
    fake.set_script([bash(PUSH), {"text": "understood, not pushing"}])
    leaf_id = d.submit("push it", "--workdir", workdir)
    wait_parked(d, leaf_id)

    code, out, err = d.ctl("reject", leaf_id, "-m", "not today")
    assert code == 0, err
    assert f"rejected gate 1 of {leaf_id}" in out

    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 0, err
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "understood, not pushing"
    assert not (workdir / "pushed.txt").exists(), "a rejected call ran"
    assert "not today" in result_for_gated_call(fake)
    assert "tool_started" not in d.event_types(leaf_id)
    [decided] = events_of(d, leaf_id, "gate_decided")
    assert decided["data"]["verdict"] == "rejected" and decided["data"]["stop"] is False
    code, out, _ = d.ctl("logs", leaf_id)
    assert code == 0 and f"gate 1 rejected by {me()}: not today" in out


def test_reject_stop_ends_the_leaf_rejected(make_daemon, fake, workdir):
    d = gate_daemon(make_daemon)
    fake.set_script([bash(PUSH), {"text": "must not be asked"}])
    leaf_id = d.submit("push it", "--workdir", workdir)
    wait_parked(d, leaf_id)

    code, out, err = d.ctl("reject", leaf_id, "--stop", "-m", "no")
    assert code == 0, err
    assert "stopped" in out

    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 5, err
    st = d.ctl_json("status", leaf_id)
    assert st["state"] == "rejected" and st["reason"] == "rejected"
    assert not (workdir / "pushed.txt").exists()
    assert [r["turn"] for r in fake.replies()] == [0], "the model was asked again after --stop"
    [decided] = events_of(d, leaf_id, "gate_decided")
    assert decided["data"]["stop"] is True and decided["data"]["message"] == "no"
    code, out, _ = d.ctl("logs", leaf_id)
    assert code == 0 and "leaf stopped" in out


def test_request_approval_round_trips(make_daemon, fake, workdir):
    d = make_daemon()  # no policies at all: request_approval gates by itself
    fake.set_script([
        {"tool_calls": [{"name": "request_approval",
                         "input": {"summary": "deploy v2 to prod", "proposed_action": "run deploy.sh"}}]},
        {"text": "deploying"},
    ])
    leaf_id = d.submit("deploy", "--workdir", workdir)
    st = wait_parked(d, leaf_id)
    assert st["gate"]["kind"] == "request_approval"

    [gate] = [a for a in d.ctl_json("approvals")["approvals"] if a["leaf"] == leaf_id]
    assert gate["kind"] == "request_approval" and gate["tool"] == "request_approval"
    assert gate["summary"] == "deploy v2 to prod" and gate["proposed_action"] == "run deploy.sh"
    code, out, _ = d.ctl("approvals")
    assert code == 0 and "deploy v2 to prod" in out

    code, _, err = d.ctl("approve", leaf_id, "-m", "go ahead")
    assert code == 0, err
    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "deploying"
    result = result_for_gated_call(fake)
    assert "approved" in result.lower() and "go ahead" in result


def test_gate_timeout_expires_into_rejected(make_daemon, fake, workdir):
    d = gate_daemon(make_daemon, {"default": {"ask": [RULE], "gate_timeout": "2s"}})
    fake.set_script([bash(PUSH), {"text": "must not be asked"}])
    leaf_id = d.submit("push it", "--workdir", workdir)
    st = wait_parked(d, leaf_id)
    assert st["gate"]["expires_at"], "a gate under gate_timeout must say when it expires"
    assert st["policy"]["gate_timeout_s"] == 2

    code, _, err = d.ctl("wait", leaf_id, "--timeout", "30s", timeout=60)
    assert code == 5, err
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "rejected" and leaf["reason"] == "rejected"
    assert not (workdir / "pushed.txt").exists()
    [decided] = events_of(d, leaf_id, "gate_decided")
    assert decided["data"]["by"]["name"] == "gate_timeout"
    assert decided["data"]["verdict"] == "rejected" and decided["data"]["stop"] is True
    code, out, _ = d.ctl("logs", leaf_id)
    assert code == 0 and "gate 1 expired" in out


def test_the_first_verdict_wins(make_daemon, fake, workdir):
    """Two gates in a row, so that gate 1 is decided while the leaf still waits (at gate 2)."""
    d = gate_daemon(make_daemon)
    fake.set_script([bash("echo pushing one > one.txt"), bash("echo pushing two > two.txt"), {"text": "done"}])
    leaf_id = d.submit("push twice", "--workdir", workdir)
    wait_parked(d, leaf_id, gate=1)

    code, out, err = d.ctl("approve", leaf_id, "--gate", "1", "-m", "first")
    assert code == 0 and "approved gate 1" in out, err
    wait_parked(d, leaf_id, gate=2)
    assert (workdir / "one.txt").read_text() == "pushing one\n"

    code, out, err = d.ctl("approve", leaf_id, "--gate", "1", "-m", "again")
    assert code == 0, err
    assert "already" in out and "nothing changed" in out
    code, out, err = d.ctl("approve", leaf_id, "--gate", "1", "-o", "json")
    assert code == 0 and json.loads(out)["already"] is True, err

    code, _, err = d.ctl("reject", leaf_id, "--gate", "1", "-m", "too late")
    assert code == 1, "a different verdict for a decided gate must be a conflict"
    assert err.strip()
    code, _, err = d.ctl("approve", leaf_id, "--gate", "3")
    assert code == 1 and err.strip(), "gate 3 is not open"

    code, _, err = d.ctl("reject", leaf_id, "--gate", "2", "--stop", "-m", "enough")
    assert code == 0, err
    assert d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)[0] == 5
    code, _, err = d.ctl("approve", leaf_id, "--gate", "2")
    assert code == 1 and err.strip(), "approve after reject must be a conflict"
    assert not (workdir / "two.txt").exists()

    decided = events_of(d, leaf_id, "gate_decided")
    assert [(e["data"]["gate"], e["data"]["verdict"]) for e in decided] == [(1, "approved"), (2, "rejected")]
    assert decided[0]["data"]["message"] == "first"


def test_a_verdict_needs_an_open_gate(make_daemon, fake, workdir):
    d = gate_daemon(make_daemon)
    fake.set_script([], default={"text": "nothing to approve"})
    leaf_id = d.submit("hello", "--workdir", workdir)
    assert d.wait_leaf(leaf_id)["state"] == "succeeded"
    code, _, err = d.ctl("approve", leaf_id, "-m", "ok")
    assert code == 1, err
    assert err.startswith("harnessctl: ") and len(err.strip()) > len("harnessctl: ")
    assert d.ctl("reject", leaf_id)[0] == 1
    assert d.ctl("approve", "lf_00000000000000000000000000")[0] == 9
    assert "gate_decided" not in d.event_types(leaf_id)


@pytest.mark.parametrize("where", ["config", "flag"])
def test_deny_refuses_the_call_and_tells_the_model(make_daemon, fake, workdir, where):
    policies = {"default": {"deny": [RULE]}} if where == "config" else {"default": {}}
    d = gate_daemon(make_daemon, policies)
    fake.set_script([bash(PUSH), {"text": "ok, denied"}])
    flags = ["--deny", RULE] if where == "flag" else []
    leaf_id = d.submit("push it", "--workdir", workdir, *flags)

    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "ok, denied"
    assert not (workdir / "pushed.txt").exists(), "a denied command ran"
    assert "denied" in result_for_gated_call(fake).lower()
    types = d.event_types(leaf_id)
    assert "gate_opened" not in types and "tool_started" not in types
    [finished] = events_of(d, leaf_id, "tool_finished")
    assert finished["data"]["denied"] is True and finished["data"]["is_error"] is True
    assert finished["data"]["rule"] == RULE
    code, out, _ = d.ctl("logs", leaf_id)
    assert code == 0 and f"denied by policy (rule {RULE})" in out


@pytest.mark.parametrize("flags", [["--ask", RULE], ["--allow", "read_file:*"]],
                         ids=["ask", "allow-only"])
def test_submit_flags_narrow_the_policy(make_daemon, fake, workdir, flags):
    """The configured policy lets every call run; --ask adds a gate, and --allow makes every call
    it does not list need approval."""
    d = gate_daemon(make_daemon, {"default": {}})
    fake.set_script([bash(PUSH), {"text": "pushed"}])
    leaf_id = d.submit("push it", "--workdir", workdir, *flags)
    st = wait_parked(d, leaf_id)
    assert st["gate"]["command"] == PUSH
    if flags[0] == "--ask":
        assert RULE in st["policy"]["ask"]
    else:
        assert st["policy"]["default"] == "ask"
    assert d.ctl("approve", leaf_id)[0] == 0
    assert d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)[0] == 0
    assert (workdir / "pushed.txt").exists()


def test_resume_keeps_the_policy_and_cannot_widen_it(make_daemon, fake, workdir):
    """Roles are configured so that this test's user may submit and approve but is not admin."""
    user = f"user:{me()}"
    d = gate_daemon(make_daemon, {"default": {"ask": [RULE]}, "other": {}},
                    auth={"socket_group": my_group(), "submit": [user], "approve": [user], "admin": []})
    fake.set_script([{"text": "first"}, bash(PUSH), {"text": "second"}])
    first = d.submit("first", "--workdir", workdir)
    session = d.wait_leaf(first)["session"]

    code, _, err = d.ctl("resume", session, "more", "-q", "--policy", "other")
    assert code == 4, f"resume under another policy must be refused (403), got {code}: {err}"
    assert err.strip()

    code, out, err = d.ctl("resume", session, "more", "-q", "--workdir", workdir, "--ask", "write_file:*")
    assert code == 0, err
    second = out.strip()
    st = wait_parked(d, second)  # the session's ask rule still applies
    assert st["policy"]["name"] == "default"
    assert RULE in st["policy"]["ask"] and "write_file:*" in st["policy"]["ask"]
    assert d.ctl("approve", second)[0] == 0
    assert d.wait_leaf(second)["result"] == "second"


@pytest.mark.parametrize("moment", ["after_tool_started", "right_after_approve"])
def test_kill9_after_approve_runs_the_call_at_most_once(make_daemon, fake, workdir, moment):
    d = gate_daemon(make_daemon)
    slow = "echo pushing; sleep 2; echo x >> count.txt"
    fake.set_script([bash(slow), {"text": "after the crash"}])
    leaf_id = d.submit("count", "--workdir", workdir)
    wait_parked(d, leaf_id)

    code, _, err = d.ctl("approve", leaf_id, "-m", "go")
    assert code == 0, err
    if moment == "after_tool_started":
        he.wait_until(lambda: events_of(d, leaf_id, "tool_started"), 30, what="tool_started after approve")
    d.kill9()
    d.restart()

    leaf = d.wait_leaf(leaf_id, timeout=60)
    assert leaf["state"] == "succeeded" and leaf["result"] == "after the crash", leaf
    count = workdir / "count.txt"
    lines = count.read_text().splitlines() if count.exists() else []
    assert len(lines) <= 1, f"the approved call ran {len(lines)} times"
    events = d.events(leaf_id)
    types = [e["type"] for e in events]
    assert types.count("gate_opened") == 1 and types.count("gate_decided") == 1
    assert types.count("tool_started") <= 1
    if moment == "right_after_approve" and types.count("tool_started") == 0:
        pytest.fail("an approved call was never started after the restart")


def test_gates_survive_a_restart(make_daemon, fake, workdir):
    d = gate_daemon(make_daemon)
    fake.set_script([bash(PUSH), {"text": "pushed after restart"}])
    leaf_id = d.submit("push it", "--workdir", workdir)
    before = wait_parked(d, leaf_id)["gate"]

    d.kill9()
    d.restart()

    st = d.ctl_json("status", leaf_id)
    assert st["state"] == "awaiting_approval" and st["gate"]["gate"] == 1
    [gate] = [a for a in d.ctl_json("approvals")["approvals"] if a["leaf"] == leaf_id]
    assert gate["command"] == PUSH and gate["call_id"] == before["call_id"]
    assert gate["opened_at"] == before["opened_at"]
    n_requests = len(fake.replies())

    code, _, err = d.ctl("approve", leaf_id, "-m", "after restart")
    assert code == 0, err
    assert d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)[0] == 0
    assert (workdir / "pushed.txt").read_text() == "pushing\n"
    assert len(fake.replies()) == n_requests + 1, "the model was asked again for the parked turn"
    assert d.event_types(leaf_id).count("gate_opened") == 1
