"""Several harnessd on one Redis (SPEC §7, issue 9; docs/redis.md "Several daemons"): node
names, claims with leases, takeover after lease_ttl, fencing of a paused daemon, verdicts and
follows through any daemon. lease_ttl is 2 s so the tests stay fast."""

import signal
import subprocess
import time
from datetime import datetime

import pytest

import harness_env as he
from redis_server import RedisServer, binary

LEASE_S = 2
SLOW_TOOL = "echo start >> count.txt; sleep 4; echo end >> count.txt"
TERMINAL = ("succeeded", "failed", "rejected", "cancelled")


@pytest.fixture
def redis(tmp_path):
    if not binary():
        pytest.skip("SKIPPED (prerequisite): redis-server is not installed (scripts/install-deps.sh)")
    r = RedisServer(tmp_path / "redis").start()
    yield r
    r.stop()


def node_config(redis, name, **extra):
    return {"store": redis.url(), "node": name, "lease_ttl": f"{LEASE_S}s", **extra}


@pytest.fixture
def three(make_daemon, redis):
    return [make_daemon(max_running=3, extra=node_config(redis, f"n{i}")) for i in range(3)]


def epoch(ts):
    """An event's RFC 3339 `ts` as seconds since the epoch."""
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def open_calls(d, leaf_id):
    started, finished = set(), set()
    for e in d.events(leaf_id):
        if e["type"] == "tool_started":
            started.add(e["data"]["call_id"])
        elif e["type"] == "tool_finished":
            finished.add(e["data"]["call_id"])
    return started - finished


def test_status_shows_the_node_and_a_second_live_daemon_with_its_name_refuses(make_daemon, redis, fake):
    a = make_daemon(extra=node_config(redis, "alpha"))
    fake.set_script([], default={"text": "ok"})
    leaf_id = a.submit("hi")
    assert a.wait_leaf(leaf_id)["state"] == "succeeded"
    assert a.ctl_json("status", leaf_id)["node"] == "alpha"

    twin = make_daemon(extra=node_config(redis, "alpha"), start=False)
    twin.write_config()
    twin.state_dir.mkdir(exist_ok=True)
    t0 = time.monotonic()
    p = subprocess.run(twin.argv(), capture_output=True, text=True, timeout=60, env=twin.env,
                       stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "node alpha is live" in out, out
    assert time.monotonic() - t0 >= LEASE_S  # it waited for a killed daemon's name to expire
    assert a.alive()


def test_sixty_leaves_through_three_daemons_all_succeed_and_each_ran_some(three, fake):
    fake.set_script([], default={"text": "ok"})
    ids = [(three[i % 3], three[i % 3].submit(f"leaf {i}")) for i in range(60)]
    nodes = {}
    for d, leaf_id in ids:
        leaf = d.wait_leaf(leaf_id, timeout=120)  # waits through the daemon it was submitted to
        assert leaf["state"] == "succeeded", leaf
        nodes[leaf["node"]] = nodes.get(leaf["node"], 0) + 1
    assert set(nodes) == {"n0", "n1", "n2"}, nodes
    # Every daemon sees every leaf the same way.
    assert len(three[1].leaves()) == 60
    st = three[2].ctl_json("status", ids[0][1])
    assert st["state"] == "succeeded" and st["node"] in nodes


def test_kill9_of_a_daemon_mid_tool_others_take_over_without_rerunning(three, fake, workdir):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": SLOW_TOOL}}]},
                     {"text": "recovered"}])
    ids = [(three[i % 3], three[i % 3].submit(f"count {i}", "--workdir", workdir)) for i in range(6)]
    count = workdir / "count.txt"
    for d, leaf_id in ids:
        he.wait_until(lambda: open_calls(d, leaf_id), 30, what=f"{leaf_id} to start its tool")
    he.wait_until(lambda: count.exists() and count.read_text().count("start") == len(ids), 30,
                  what="every command to start")
    victim_name = three[0].leaf(ids[0][1])["node"]
    victim = next(d for d in three if d.config["node"] == victim_name)
    theirs = [leaf_id for _, leaf_id in ids if three[1].leaf(leaf_id)["node"] == victim_name]
    assert theirs

    victim.kill9()
    killed = time.time()
    survivor = next(d for d in three if d is not victim)
    takeover = []
    for _, leaf_id in ids:
        leaf = survivor.wait_leaf(leaf_id, timeout=90)
        assert leaf["state"] == "succeeded", leaf
        if leaf_id in theirs:
            assert leaf["node"] != victim_name
            evs = survivor.events(leaf_id)
            [rec] = [e for e in evs if e["type"] == "leaf_recovered"]
            takeover.append(epoch(rec["ts"]) - killed)
            [fin] = [e for e in evs if e["type"] == "tool_finished"]
            assert fin["data"]["interrupted"] is True, fin
            assert [e["type"] for e in evs].count("tool_started") == 1
    # Every command started once: none ran twice.
    assert count.read_text().count("start") == len(ids), count.read_text()
    print(f"failover: kill -9 -> leaf_recovered elsewhere: {min(takeover):.2f}..{max(takeover):.2f} s "
          f"(lease_ttl {LEASE_S}s)")
    assert max(takeover) < LEASE_S + 3


def test_a_paused_daemon_loses_its_leaves_and_writes_nothing_to_them(three, fake, workdir):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": SLOW_TOOL}}]},
                     {"text": "done"}])
    a = three[0]
    ids = [a.submit(f"count {i}", "--workdir", workdir) for i in range(2)]
    for leaf_id in ids:
        he.wait_until(lambda: open_calls(a, leaf_id), 30, what=f"{leaf_id} to start its tool")
    mine = [i for i in ids if a.leaf(i)["node"] == "n0"]
    assert mine, "n0 claimed none of its own submissions"
    a.proc.send_signal(signal.SIGSTOP)
    try:
        # Past the lease: the others take n0's leaves over, report the call interrupted, and
        # finish them while n0 is frozen (its commands finish meanwhile).
        for leaf_id in mine:
            leaf = three[1].wait_leaf(leaf_id, timeout=60)
            assert leaf["state"] == "succeeded" and leaf["node"] != "n0", leaf
    finally:
        a.proc.send_signal(signal.SIGCONT)
    he.wait_until(lambda: "no longer this daemon's" in a.log_text() or "lost its lease" in a.log_text(),
                  15, what="n0 to notice it lost its leases")
    time.sleep(1)
    for leaf_id in mine:
        evs = three[1].events(leaf_id)
        types = [e["type"] for e in evs]
        assert types.count("tool_started") == 1 and types.count("tool_finished") == 1, types
        [fin] = [e for e in evs if e["type"] == "tool_finished"]
        assert fin["data"]["interrupted"] is True  # n0's real result was refused
        assert types[-1] == "leaf_finished"
    assert (workdir / "count.txt").read_text().count("start") == len(ids)
    # n0 still works.
    fake.set_script([], default={"text": "ok"})
    again = a.submit("after the pause")
    assert a.wait_leaf(again)["state"] == "succeeded"


def test_a_gate_opened_on_one_daemon_is_approved_through_another_and_followed_on_a_third(
        make_daemon, redis, fake, workdir):
    policies = {"default": {"ask": ["bash:echo pushing*"]}}
    ds = []
    for i in range(3):
        d = he.use_tree_config(make_daemon(extra={**node_config(redis, f"g{i}"), "policies": policies},
                                           start=False))
        ds.append(d.start())
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "echo pushing > pushed.txt"}}]},
                     {"text": "pushed"}])
    leaf_id = ds[0].submit("push", "--workdir", workdir)
    he.wait_until(lambda: ds[2].leaf(leaf_id)["state"] == "awaiting_approval", 30, what="the gate")
    code, out, err = ds[1].ctl("approvals")
    assert code == 0 and leaf_id in out, (out, err)
    code, out, err = ds[1].ctl("approve", leaf_id, "-m", "go")
    assert code == 0, err
    code, out, err = ds[2].ctl("logs", leaf_id, "-f", "-o", "json", timeout=60)
    assert code == 0, err
    types = [e["type"] for e in he.ndjson(out)]
    assert "gate_decided" in types and "tool_finished" in types, " ".join(types)
    leaf = ds[2].wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded", leaf
    assert (workdir / "pushed.txt").exists()


def test_cancel_through_another_daemon_stops_the_running_leaf_within_a_second(three, fake, workdir):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "sleep 30; echo late > late.txt"}}]},
                     {"text": "never"}])
    leaf_id = three[0].submit("sleep", "--workdir", workdir)
    he.wait_until(lambda: open_calls(three[0], leaf_id), 30, what="the tool to start")
    runner = three[0].leaf(leaf_id)["node"]
    other = next(d for d in three if d.config["node"] != runner)
    code, _, err = other.ctl("cancel", leaf_id)
    assert code == 0, err
    t0 = time.monotonic()
    running = next(d for d in three if d.config["node"] == runner)
    he.wait_until(lambda: "no longer this daemon's" in running.log_text(), 5, what="the runner to stop it")
    assert time.monotonic() - t0 < 1.5
    assert other.leaf(leaf_id)["state"] == "cancelled"


def test_kill9_of_redis_and_a_restart_on_its_aof_loses_no_submitted_leaf(three, redis, fake):
    fake.set_script([{"delay": 0.5}, {"text": "ok"}], default={"text": "ok"})
    ids = [(three[i % 3], three[i % 3].submit(f"leaf {i}")) for i in range(9)]
    redis.kill9()
    time.sleep(0.5)
    redis.restart()
    for d in three:
        he.wait_until(lambda: d.request("GET", "/readyz").status == 200, 30, what="/readyz after Redis is back")
    for d, leaf_id in ids:
        leaf = d.wait_leaf(leaf_id, timeout=60)
        assert leaf["state"] == "succeeded", leaf
    assert all(d.alive() for d in three)
