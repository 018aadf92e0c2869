"""Schedules on the Redis store (issue 10: "each firing happens exactly once, across restarts
and across several daemons on one store"; docs/redis.md "Schedules"). Two daemons on one real
Redis run their schedulers on the same schedules: every scheduled time yields one leaf."""

import json
import re
import time
from datetime import datetime, timezone

import harness_env as he
from test_redis_nodes import node_config, redis  # noqa: F401 (the fixture)
from test_schedules import DONE, add, firing_time, leaves_of, restart_over_a_missed_time

WINDOW_S = 6


def scheduler_lines(d, name):
    """This daemon's scheduler log lines about schedule `name`: fired or lost the claim."""
    pat = re.compile(rf"schedule {re.escape(name)}: (fired leaf|firing at .* taken by another)")
    return [l for l in d.log_text().splitlines() if pat.search(l)]


def fired_lines(d, name):
    return [l for l in scheduler_lines(d, name) if "fired leaf" in l]


def test_two_daemons_on_one_redis_fire_each_time_once(daemon_factory, redis, fake):  # noqa: F811
    """Both daemons run the config schedule `tick` and the API schedule `api`. Whichever
    scheduler sees a time first claims it (it is usually the same one: both tick every 250 ms
    and the times are whole seconds), so the winner is killed -9 half-way and started again:
    the other one fires meanwhile, and no time fires twice across the kill and the restart."""
    fake.set_script([], default=DONE)
    cfg = {"schedules": {"tick": {"every": "1s", "prompt": "from config", "overlap": "allow"}}}
    a = daemon_factory(extra={**node_config(redis, "a"), **cfg})
    start = {"tick": time.time()}  # a fires `tick` from here on
    b = daemon_factory(extra={**node_config(redis, "b"), **cfg})
    start["api"] = time.time()
    code, _, err = add(a, "api", "--every", "1s", "--overlap", "allow")
    assert code == 0, err
    time.sleep(WINDOW_S / 2)
    winner, other = (a, b) if len(fired_lines(a, "tick")) >= len(fired_lines(b, "tick")) else (b, a)
    before = {name: len(fired_lines(other, name)) for name in ("tick", "api")}
    winner.kill9()
    time.sleep(WINDOW_S / 2)
    after = {name: len(fired_lines(other, name)) for name in ("tick", "api")}
    winner.start()
    time.sleep(2)
    assert other.ctl("schedule", "pause", "tick")[0] == 0
    windows = {"tick": time.time() - start["tick"]}
    assert winner.ctl("schedule", "pause", "api")[0] == 0
    windows["api"] = time.time() - start["api"]
    time.sleep(1)  # a firing claimed just before the pause lands

    for name in ("tick", "api"):
        # A firing claimed by the killed daemon and never submitted is submitted by the other
        # once it is 5 s old (schedule_runner.hpp resubmit_after_ms).
        he.wait_until(lambda: int(redis.cli("HLEN", f"harness:firings:{name}")) ==
                      len(leaves_of(other, name)), 15, what=f"every firing of {name} to have its leaf")
        leaves = leaves_of(other, name)
        times = sorted(firing_time(l) for l in leaves)
        assert len(times) == len(set(times)), times  # no time fired twice
        window = windows[name]  # the time the schedule could fire in, from its start to its pause
        assert window - 3 <= len(times) <= window + 2, (window, times)
        assert sorted(l["id"] for l in leaves_of(winner, name)) == sorted(l["id"] for l in leaves)
        for l in leaves:
            assert other.wait_leaf(l["id"], timeout=30)["state"] == "succeeded"
        # Both schedulers fired: the winner before its kill, the other while it was down.
        assert fired_lines(winner, name), name
        assert after[name] > before[name], (name, before, after)
        gaps = [b - a for a, b in zip(times, times[1:]) if b - a != 1000]
        lags = sorted(fire_lag_ms(l) for d in (a, b) for l in fired_lines(d, name))
        print(f"{name}: {len(times)} firings in {window:.1f} s, gaps {gaps}, "
              f"fired by winner {len(fired_lines(winner, name))} other {len(fired_lines(other, name))}, "
              f"scheduled time -> leaf submitted: median {lags[len(lags) // 2]:.0f} ms, max {lags[-1]:.0f} ms")


def fire_lag_ms(line):
    """How long after its scheduled time a "fired leaf" line was logged (the daemon logs UTC)."""
    logged = datetime.fromisoformat(line.split()[0]).replace(tzinfo=timezone.utc)
    scheduled = datetime.fromisoformat(line.rsplit("scheduled ", 1)[1].rstrip(")").replace("Z", "+00:00"))
    return (logged - scheduled).total_seconds() * 1000


def test_restart_on_redis_with_catch_up_once_fires_the_missed_time(daemon_factory, redis, fake):  # noqa: F811
    d, first = restart_over_a_missed_time(daemon_factory, fake, "once", node_config(redis, "solo"))
    times = sorted(firing_time(l) for l in leaves_of(d, "c"))
    assert times[:2] == [first, first + 4000], times
    he.wait_until(lambda: len(leaves_of(d, "c")) == 3, 10, what="the next regular firing")
    times = sorted(firing_time(l) for l in leaves_of(d, "c"))
    assert times == [first, first + 4000, first + 8000]
    code, out, _ = d.ctl("schedule", "show", "c", "-o", "json")
    assert code == 0 and json.loads(out)["name"] == "c"
