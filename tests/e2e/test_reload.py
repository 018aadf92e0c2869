"""SIGHUP reloads the config (SPEC §11, docs/operations.md "Reloading the config").

- A model profile added to the file is used by the next leaf; running leaves keep the profile
  they started with, even when the reload changes it.
- A file with errors is refused: the old config stays, the daemon keeps serving.
- The store, socket and state dir keep their running values; the log names each one.
- A larger max_running starts queued leaves at once.
- Under systemd: RELOADING=1 (with MONOTONIC_USEC) then READY=1 with a STATUS line.
"""

import json
import signal

import harness_env as he
from test_systemd import NotifySocket


def reload(d, count_before):
    """SIGHUP, then wait for the reload's outcome to be logged (reloaded or refused)."""
    d.proc.send_signal(signal.SIGHUP)
    he.wait_until(lambda: outcomes(d) > count_before, 15, what="the reload to be logged")


def outcomes(d):
    text = d.log_text()
    return text.count("SIGHUP: config reloaded") + text.count("SIGHUP: the config was not reloaded")


def test_a_model_profile_added_by_sighup_is_used_by_the_next_leaf(daemon_factory, fake):
    fake.set_script([], default={"text": "hello from openai"})
    d = daemon_factory(models={"default": he.anthropic_model(fake)})
    pid = d.proc.pid
    code, _, err = d.ctl("submit", "-q", "--model", "extra", "hi")
    assert code == 2 and "unknown model profile 'extra'" in err, (code, err)

    d.config["models"]["extra"] = he.openai_model(fake)
    d.write_config()
    reload(d, outcomes(d))
    assert "SIGHUP: config reloaded" in d.log_text()
    leaf = d.wait_leaf(d.submit("hi", "--model", "extra"))
    assert leaf["state"] == "succeeded" and leaf["result"] == "hello from openai", leaf
    assert fake.model_requests()[-1]["path"] == "/v1/chat/completions"
    assert d.proc.pid == pid


def test_a_broken_config_is_refused_and_the_old_one_stays(daemon_factory, fake, tmp_path):
    notify = NotifySocket(str(tmp_path / "notify"))
    try:
        fake.set_script([], default={"text": "still here"})
        d = daemon_factory(models={"default": he.anthropic_model(fake)},
                           extra_env={"NOTIFY_SOCKET": notify.name})
        notify.wait_for("READY=1")
        pid = d.proc.pid
        d.config_path.write_text(d.config_path.read_text() + "\n[models.broken\nprovider = 1\n")
        reload(d, outcomes(d))
        log = d.log_text()
        assert "SIGHUP: the config was not reloaded, the old one stays" in log
        assert str(d.config_path) in log.split("the old one stays")[-1].splitlines()[0]
        notify.wait_for("RELOADING=1")
        he.wait_until(lambda: any("reload refused" in m for _, m in notify.messages), 10,
                      what="READY=1 with the refusal in STATUS")
        reloading = [m for _, m in notify.messages if "RELOADING=1" in m.split("\n")][-1]
        assert "MONOTONIC_USEC=" in reloading
        assert d.proc.pid == pid and d.request("GET", "/readyz").status == 200
        leaf = d.wait_leaf(d.submit("are you there"))
        assert leaf["state"] == "succeeded" and leaf["result"] == "still here", leaf
    finally:
        notify.close()


def test_restart_only_keys_are_named_and_keep_their_running_values(daemon_factory, fake, tmp_path):
    fake.set_script([], default={"text": "ok"})
    d = daemon_factory(models={"default": he.anthropic_model(fake)})
    other = tmp_path / "other.db"
    d.config["store"] = f"sqlite:{other}"
    d.config["max_connections"] = 5
    d.write_config()
    reload(d, outcomes(d))
    log = d.log_text()
    assert "SIGHUP: store changed; it takes effect at the next restart" in log
    assert "SIGHUP: max_connections changed; it takes effect at the next restart" in log
    leaf = d.wait_leaf(d.submit("where do you write"))
    assert leaf["state"] == "succeeded"
    assert not other.exists()  # the running store stays in use
    assert leaf["id"] in [l["id"] for l in d.leaves()]


def test_raising_max_running_starts_queued_leaves_at_once(daemon_factory, fake):
    fake.set_script([], default={"text": "slow", "delay": he.scaled(4)})
    d = daemon_factory(models={"default": he.anthropic_model(fake)}, max_running=1)
    first = d.submit("one")
    second = d.submit("two")
    assert fake.wait_for(lambda f: f.in_flight == 1)
    assert d.leaf(second)["state"] == "queued"
    d.config["max_running"] = 2
    d.write_config()
    reload(d, outcomes(d))
    assert fake.wait_for(lambda f: f.in_flight == 2, timeout=he.scaled(3)), "the queued leaf did not start"
    assert d.leaf(first)["state"] == "running"
    for leaf_id in (first, second):
        assert d.wait_leaf(leaf_id)["state"] == "succeeded"


def test_a_running_leaf_keeps_the_profile_it_started_with(make_daemon, fake, workdir):
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {"command": "echo one"}}], "delay": 3},
        {"text": "finished on the old profile"},
    ])
    d = make_daemon(models={"default": he.anthropic_model(fake)})
    leaf_id = d.submit("two turns", "--workdir", str(workdir))
    assert fake.wait_for(lambda f: f.in_flight == 1)
    # The reload points "default" at a port where nothing listens: only new leaves see it.
    d.config["models"]["default"] = he.anthropic_model(
        fake, base_url=f"http://127.0.0.1:{he.closed_port()}", max_attempts=1)
    d.write_config()
    reload(d, outcomes(d))
    assert "SIGHUP: config reloaded" in d.log_text()
    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "finished on the old profile", leaf
    assert len(fake.model_requests()) == 2
    later = d.wait_leaf(d.submit("after the reload", "--workdir", str(workdir)))
    assert later["state"] == "failed" and later["reason"] == "model_error", later
    assert d.alive()


def schedule_names(d):
    code, out, err = d.ctl("schedule", "ls", "-o", "json")
    assert code == 0, err
    return {s["name"]: s for s in json.loads(out)["schedules"]}


def test_sighup_adds_changes_and_removes_config_schedules(daemon_factory, fake):
    fake.set_script([], default={"text": "done"})
    d = daemon_factory(extra={"schedules": {
        "keep": {"every": "1h", "prompt": "old prompt"},
        "gone": {"every": "1h", "prompt": "x"}}})
    assert d.ctl("schedule", "pause", "keep")[0] == 0
    assert set(schedule_names(d)) == {"keep", "gone"}

    d.config["schedules"] = {"keep": {"every": "2h", "prompt": "new prompt"},
                             "added": {"every": "1s", "prompt": "from reload", "overlap": "allow"}}
    d.write_config()
    reload(d, outcomes(d))
    assert "SIGHUP: config reloaded" in d.log_text()
    he.wait_until(lambda: set(schedule_names(d)) == {"keep", "added"}, 10,
                  what="the schedules to follow the file")
    keep = schedule_names(d)["keep"]
    assert keep["every"] == "2h" and keep["paused"] is True, keep  # changed; still paused
    code, out, _ = d.ctl("schedule", "show", "keep", "-o", "json")
    assert "new prompt" in out
    # The added one fires.
    he.wait_until(lambda: ls_label(d, "schedule=added"), 10, what="the added schedule to fire")

    # A broken schedule refuses the reload: the old ones stay.
    d.config["schedules"]["bad"] = {"cron": "0 0 30 2 *", "prompt": "x"}
    d.write_config()
    reload(d, outcomes(d))
    tail = d.log_text().split("SIGHUP: reloading the config")[-1]
    assert "the config was not reloaded" in tail and "[schedules.bad]" in tail, tail
    assert set(schedule_names(d)) == {"keep", "added"}


def ls_label(d, label):
    code, out, err = d.ctl("ls", "--label", label, "-o", "json")
    assert code == 0, err
    return json.loads(out)["leaves"]
