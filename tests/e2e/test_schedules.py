"""Schedules end to end (issue 10 item 1): `harnessctl schedule …` against a real harnessd whose
scheduler fires real leaves at the fake model. Time is real here; windows are generous and
assertions count firings, never exact instants (the exact rules are unit tests:
tests/unit/daemon/schedule_runner_test.cpp, tests/unit/scheduler/)."""

import json
import time

import harness_env as he

DONE = {"text": "done"}


def leaves_of(d, name):
    code, out, err = d.ctl("ls", "--label", f"schedule={name}", "-o", "json", "--limit", "1000")
    assert code == 0, err
    return json.loads(out)["leaves"]


def firing_time(leaf):
    """The scheduled time a leaf was fired for, from its idempotency key schedule:NAME:MS."""
    return int(leaf["idempotency_key"].rsplit(":", 1)[1])


def add(d, name, *flags, leaf=(), prompt="do the thing"):
    """schedule add NAME FLAGS -- LEAF PROMPT (LEAF: the submit flags of the template)."""
    return d.ctl("schedule", "add", name, *flags, "--", *leaf, prompt)


def sleep_until_phase(period_s, phase_s):
    """Sleeps until wall time modulo period_s is phase_s (every-times are multiples of the
    period since the epoch)."""
    now = time.time()
    wait = (phase_s - now % period_s) % period_s
    time.sleep(wait)


def test_an_every_schedule_fires_once_per_period(daemon_factory, fake):
    d = daemon_factory()
    fake.set_script([], default=DONE)
    code, out, err = add(d, "tick", "--every", "1s", "--overlap", "allow", "-o", "json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["name"] == "tick" and shown["every"] == "1s" and len(shown["next"]) == 5
    time.sleep(5.5)
    n = len(leaves_of(d, "tick"))
    assert 4 <= n <= 7, n
    code, _, err = d.ctl("schedule", "rm", "tick")
    assert code == 0, err
    leaves = leaves_of(d, "tick")
    times = [firing_time(l) for l in leaves]
    assert len(times) == len(set(times))  # each time fired once
    assert all(t % 1000 == 0 for t in times)
    assert all(l["labels"]["schedule"] == "tick" for l in leaves)
    time.sleep(1.5)
    assert len(leaves_of(d, "tick")) == len(leaves)  # removed: fires no more
    assert d.ctl("schedule", "show", "tick")[0] == 9


def test_overlap_skip_with_a_slow_leaf(daemon_factory, fake):
    d = daemon_factory()
    fake.set_script([], default={"text": "slow", "delay": 2.5})
    code, _, err = add(d, "slow", "--every", "1s")
    assert code == 0, err
    time.sleep(6.5)
    d.ctl("schedule", "pause", "slow")
    leaves = sorted(leaves_of(d, "slow"), key=lambda l: l["created_at"])
    assert 1 <= len(leaves) <= 3, [l["id"] for l in leaves]
    for a, b in zip(leaves, leaves[1:]):
        # The next leaf started only after the previous one had finished.
        assert a["finished_at"] is not None and a["finished_at"] <= b["created_at"], (a, b)


def test_pause_and_resume(daemon_factory, fake):
    d = daemon_factory()
    fake.set_script([], default=DONE)
    assert add(d, "p", "--every", "1s", "--overlap", "allow")[0] == 0
    he.wait_until(lambda: len(leaves_of(d, "p")) >= 1, 10, what="a first firing")
    code, out, err = d.ctl("schedule", "pause", "p", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["paused"] is True
    time.sleep(0.5)  # a firing claimed just before the pause may still land
    n = len(leaves_of(d, "p"))
    time.sleep(2.5)
    assert len(leaves_of(d, "p")) == n
    code, out, _ = d.ctl("schedule", "ls")
    assert "paused" in out
    assert d.ctl("schedule", "resume", "p")[0] == 0
    he.wait_until(lambda: len(leaves_of(d, "p")) > n, 10, what="a firing after resume")


def restart_over_a_missed_time(daemon_factory, fake, mode, extra=None):
    """A daemon (config `extra`) fires an every-4s schedule once, is down over its next time
    and back 1.5 s after it (beyond the grace); answers (daemon, first firing time)."""
    d = daemon_factory(extra={"schedule_grace": "1s", **(extra or {})})
    fake.set_script([], default=DONE)
    # Times are multiples of 4 s. Create at phase 0.5, first firing at phase 4(0).
    sleep_until_phase(4, 0.5)
    assert add(d, "c", "--every", "4s", "--catch-up", mode, "--overlap", "allow")[0] == 0
    he.wait_until(lambda: len(leaves_of(d, "c")) == 1, 10, what="the first firing")
    first = firing_time(leaves_of(d, "c")[0])
    d.stop()
    assert time.time() < (first + 4000) / 1000, "the daemon took too long to stop to miss a time"
    # Down over the next time (first + 4 s); back 1.5 s after it: missed, beyond the grace.
    time.sleep(max(0, (first + 4000) / 1000 + 1.5 - time.time()))
    d.start()
    if mode == "once":
        he.wait_until(lambda: len(leaves_of(d, "c")) >= 2, 10, what="the catch-up firing")
    return d, first


def test_restart_with_catch_up_once_fires_the_missed_time(daemon_factory, fake):
    d, first = restart_over_a_missed_time(daemon_factory, fake, "once")
    times = sorted(firing_time(l) for l in leaves_of(d, "c"))
    assert times[:2] == [first, first + 4000], times  # the next regular one may be there too
    he.wait_until(lambda: len(leaves_of(d, "c")) == 3, 10, what="the next regular firing")
    times = sorted(firing_time(l) for l in leaves_of(d, "c"))
    assert times == [first, first + 4000, first + 8000]


def test_restart_with_catch_up_none_skips_the_missed_time(daemon_factory, fake):
    d, first = restart_over_a_missed_time(daemon_factory, fake, "none")
    he.wait_until(lambda: len(leaves_of(d, "c")) == 2, 10, what="the next regular firing")
    times = sorted(firing_time(l) for l in leaves_of(d, "c"))
    assert times == [first, first + 8000], times


def test_run_now_and_show(daemon_factory, fake):
    d = daemon_factory()
    fake.set_script([], default=DONE)
    code, _, err = add(d, "daily", "--cron", "0 3 * * *", "--tz", "Europe/Berlin", "--jitter", "10s",
                       leaf=("--label", "team=infra", "--max-turns", "3"), prompt="nightly report")
    assert code == 0, err
    code, out, err = d.ctl("schedule", "show", "daily", "-o", "json")
    assert code == 0, err
    s = json.loads(out)
    assert s["schema"] == 1 and s["cron"] == "0 3 * * *" and s["timezone"] == "Europe/Berlin"
    assert len(s["next"]) == 5 and s["paused"] is False and s["leaf"]["max_turns"] == 3
    code, out, _ = d.ctl("schedule", "show", "daily")
    assert "next:" in out and "Europe/Berlin" in out
    code, out, err = d.ctl("schedule", "run-now", "daily")
    assert code == 0, err
    leaf_id = out.strip()
    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded"
    assert leaf["labels"] == {"schedule": "daily", "team": "infra"}
    assert leaf["prompt"] == "nightly report" and leaf["max_turns"] == 3
    code, out, _ = d.ctl("ls", "--label", "schedule=daily")
    assert leaf_id in out


def test_invalid_cron_and_zone_are_usage_errors_with_the_position(daemon_factory):
    d = daemon_factory()
    code, _, err = add(d, "bad", "--cron", "*/15 25 * * *")
    assert code == 2, err
    assert "column 6" in err and "hour" in err, err
    code, _, err = add(d, "bad", "--cron", "0 3 * * *", "--tz", "Mars/Olympus")
    assert code == 2, err
    assert "Mars/Olympus" in err
    r = d.request("POST", "/v1/schedules", {"name": "bad", "cron": "61 * * * *", "leaf": {"prompt": "x"}})
    assert r.status == 422 and "column 1" in r.json["error"]["message"]
    code, _, err = add(d, "bad", "--every", "1s", leaf=("--model", "nope"))
    assert code == 2 and "nope" in err, err
    assert d.ctl("schedule", "add", "bad", "--cron", "* * * * *", "--every", "1m", "--", "x")[0] == 2
    code, out, _ = d.ctl("schedule", "ls", "-o", "json")
    assert json.loads(out)["schedules"] == []


def test_config_schedules_fire_and_cannot_be_removed_by_the_api(daemon_factory, fake):
    fake.set_script([], default=DONE)
    d = daemon_factory(extra={"schedules": {"cfg": {"every": "1s", "prompt": "from config",
                                                     "overlap": "allow", "labels": ["k=v"]}}})
    he.wait_until(lambda: len(leaves_of(d, "cfg")) >= 2, 10, what="config schedule firings")
    leaf = leaves_of(d, "cfg")[0]
    assert leaf["prompt"] == "from config" and leaf["labels"]["k"] == "v"
    code, out, _ = d.ctl("schedule", "ls", "-o", "json")
    (s,) = json.loads(out)["schedules"]
    assert s["source"] == "config" and s["owner"] == "config"
    code, _, err = d.ctl("schedule", "rm", "cfg")
    assert code != 0 and "config" in err
    assert d.ctl("schedule", "pause", "cfg")[0] == 0
    # A restart keeps it paused.
    d.stop()
    d.start()
    code, out, _ = d.ctl("schedule", "show", "cfg", "-o", "json")
    assert json.loads(out)["paused"] is True


def test_a_broken_config_schedule_stops_harnessd_naming_it(daemon_factory):
    d = daemon_factory(extra={"schedules": {"broken": {"cron": "0 0 30 2 *", "prompt": "x"}}}, start=False)
    d.write_config()
    import subprocess
    p = subprocess.run(d.argv(), capture_output=True, text=True, timeout=30, env=d.env)
    assert p.returncode != 0
    assert "[schedules.broken]" in p.stderr + p.stdout
