"""`harnessctl wait` exit codes, each produced by a real situation (SPEC §9)."""

import json
import time

import harness_env as he

TOOL_THEN_DONE = [{"tool_calls": [{"name": "bash", "input": {"command": "echo hi"}}]}, {"text": "done"}]


def wait(d, leaf_id, timeout="60s", *extra):
    return d.ctl("wait", leaf_id, "--timeout", timeout, *extra, timeout=120)


def test_0_succeeded(daemon, fake):
    fake.set_script(TOOL_THEN_DONE)
    leaf_id = daemon.submit("say done")
    code, out, err = wait(daemon, leaf_id, "60s", "-o", "json")
    assert code == 0, err
    leaf = json.loads(out)
    assert leaf["id"] == leaf_id and leaf["state"] == "succeeded" and leaf["result"] == "done"


def test_3_model_refuses_the_request(daemon, fake):
    fake.set_script([{"status": 400, "message": "messages: bad things"}, {"text": "never"}])
    leaf_id = daemon.submit("hi")
    code, _, err = wait(daemon, leaf_id)
    assert code == 3, err
    leaf = daemon.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "model_error"
    assert leaf["message"]
    assert len(fake.model_requests()) == 1  # a 400 is not retried


def test_3_model_unreachable(make_daemon, fake):
    port = he.closed_port()
    d = make_daemon(models={"default": {"provider": "anthropic", "base_url": f"http://127.0.0.1:{port}",
                                        "model": "m", "api_key_env": he.API_KEY_ENV, "max_tokens": 100,
                                        "max_attempts": 1}})
    leaf_id = d.submit("hi")
    code, _, err = wait(d, leaf_id)
    assert code == 3, err
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "model_error" and leaf["message"]


def test_3_sandbox_cannot_start(make_daemon, fake):
    d = make_daemon(sandboxes={"default": {"driver": "bwrap", "network": False},
                               "broken": {"driver": "bwrap", "binary": "/nonexistent/bwrap"}})
    fake.set_script(TOOL_THEN_DONE)
    leaf_id = d.submit("run echo", "--sandbox", "broken")
    code, _, err = wait(d, leaf_id)
    assert code == 3, err
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "sandbox_error"
    msg = leaf["message"].lower()
    assert "/nonexistent/bwrap" in msg or "no such file" in msg, leaf["message"]
    assert len(fake.replies()) == 1  # nothing ran on the host instead; the model was not asked again


def test_6_cancel_while_waiting_on_the_model(daemon, fake):
    fake.set_script([{"delay": 60}, {"text": "too late"}])
    leaf_id = daemon.submit("slow")
    assert fake.wait_for(lambda f: f.in_flight == 1, timeout=30)
    code, _, err = daemon.ctl("cancel", leaf_id)
    assert code == 0, err
    code, _, err = wait(daemon, leaf_id)
    assert code == 6, err
    leaf = daemon.leaf(leaf_id)
    assert leaf["state"] == "cancelled" and leaf["reason"] == "cancelled"
    code, _, _ = daemon.ctl("cancel", leaf_id)
    assert code != 0  # 409: already terminal


def test_7_max_turns(daemon, fake):
    fake.set_script([], default={"tool_calls": [{"name": "bash", "input": {"command": "true"}}]})
    leaf_id = daemon.submit("loop forever", "--max-turns", "2")
    code, _, err = wait(daemon, leaf_id)
    assert code == 7, err
    leaf = daemon.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "max_turns"
    assert leaf["max_turns"] == 2
    assert len(fake.replies()) == 2  # a turn is one model call; a third was never made


def test_8_wait_timeout_on_a_hung_model(daemon, fake):
    fake.set_script([{"hang": True}])
    leaf_id = daemon.submit("hang")
    t = time.monotonic()
    code, _, err = daemon.ctl("wait", leaf_id, "--timeout", "1s", timeout=30)
    assert code == 8, err
    assert time.monotonic() - t < 10
    assert daemon.leaf(leaf_id)["state"] == "running"


def test_9_unknown_leaf(daemon_factory):
    d = daemon_factory()
    code, _, err = d.ctl("wait", "lf_00000000000000000000000000", "--timeout", "5s")
    assert code == 9, err
    assert d.ctl("status", "lf_00000000000000000000000000")[0] == 9
    assert d.ctl("cancel", "lf_00000000000000000000000000")[0] == 9


def test_10_daemon_not_running(tmp_path):
    sock = tmp_path / "nobody-home.sock"
    env = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    t = time.monotonic()
    code, out, err = he.run_ctl(sock, "wait", "lf_00000000000000000000000000", "--timeout", "5s", env=env)
    assert code == 10, (out, err)
    assert err.strip() and out == ""
    assert he.run_ctl(sock, "ls", env=env)[0] == 10
    assert time.monotonic() - t < 20  # never a hang


def test_2_usage_error(daemon_factory):
    d = daemon_factory()
    code, out, err = d.ctl("submit", "x", "--no-such-flag")
    assert code == 2 and err.strip()
    assert d.leaves() == []
