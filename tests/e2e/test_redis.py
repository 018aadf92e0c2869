"""harnessd on the Redis store (SPEC §7) against a real redis-server: leaves run with real tools
in bwrap, ls/status/logs read from Redis, a kill -9 of the daemon recovers a running leaf from
Redis, and an unreachable Redis is reported by /readyz and submit and survived."""

import subprocess

import pytest

import harness_env as he
from fake_model import tool_results
from redis_server import RedisServer, binary

SLOW_TOOL = "echo start >> count.txt; sleep 3; echo end >> count.txt"


@pytest.fixture
def redis(tmp_path):
    if not binary():
        pytest.skip("SKIPPED (prerequisite): redis-server is not installed (scripts/install-deps.sh)")
    r = RedisServer(tmp_path / "redis").start()
    yield r
    r.stop()


@pytest.fixture
def redis_daemon(make_daemon, redis):
    # A short lease: the kill -9 test's restart waits for the old instance's name and leases.
    return make_daemon(extra={"store": redis.url(), "lease_ttl": "2s"})


def test_leaves_run_and_are_read_back_from_redis(redis_daemon, redis, fake, workdir):
    d = redis_daemon
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {"command": "echo hello > out.txt"}}]},
        {"text": "done: hello"},
    ])
    leaf_id = d.submit("write hello", "--workdir", workdir, "--label", "team=redis")
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 0, err
    assert (workdir / "out.txt").read_text() == "hello\n"

    st = d.ctl_json("status", leaf_id)
    assert st["state"] == "succeeded" and st["result"] == "done: hello"
    code, out, err = d.ctl("ls", "-o", "json", "--label", "team=redis")
    assert code == 0, err
    assert he.ls_ids(out) == [leaf_id]
    code, out, err = d.ctl("logs", leaf_id, "-o", "json")
    assert code == 0, err
    types = [e["type"] for e in he.ndjson(out)]
    assert types[0] == "leaf_submitted" and types[-1] == "leaf_finished"
    assert "tool_started" in types and "tool_finished" in types

    # The data is in Redis, and nowhere else.
    assert not (d.state_dir / "harness.db").exists()
    assert redis.cli("HGET", f"harness:leaf:{leaf_id}", "state") == "succeeded"
    assert int(redis.cli("XLEN", f"harness:ses:{st['session']}:log")) == len(types)
    assert redis.cli("XLEN", "harness:queue") == "0"


def test_leaves_survive_a_daemon_restart_on_redis(redis_daemon, fake):
    d = redis_daemon
    fake.set_script([], default={"text": "ok"})
    first = d.submit("one")
    assert d.wait_leaf(first)["state"] == "succeeded"
    d.stop()
    d.start()
    assert d.leaf(first)["state"] == "succeeded"
    second = d.submit("two")
    assert d.wait_leaf(second)["state"] == "succeeded"
    assert [x["id"] for x in d.leaves()] == [second, first]


def open_tool_calls(d, leaf_id):
    started, finished = set(), set()
    for e in d.events(leaf_id):
        if e["type"] == "tool_started":
            started.add(e["data"]["call_id"])
        elif e["type"] == "tool_finished":
            finished.add(e["data"]["call_id"])
    return started - finished


def test_kill9_of_the_daemon_recovers_a_running_leaf_from_redis(redis_daemon, fake, workdir):
    d = redis_daemon
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {"command": SLOW_TOOL}}]},
        {"text": "recovered"},
    ])
    leaf_id = d.submit("count once", "--workdir", workdir)
    count = workdir / "count.txt"
    he.wait_until(lambda: open_tool_calls(d, leaf_id), 30, what="tool_started without tool_finished")
    he.wait_until(lambda: count.exists() and "start" in count.read_text(), 30, what="the command to start")

    d.kill9()
    d.restart()

    leaf = d.wait_leaf(leaf_id, timeout=60)
    assert leaf["state"] == "succeeded" and leaf["result"] == "recovered", leaf
    assert count.read_text().count("start") == 1, "the interrupted tool call ran again"
    [after] = [r for r in fake.replies() if r["turn"] == 1]
    [result] = tool_results(after).values()
    assert "interrupted" in result.lower()
    types = d.event_types(leaf_id)
    assert "leaf_recovered" in types and types.count("tool_started") == 1
    seqs = [e["seq"] for e in d.events(leaf_id)]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_redis_down_is_reported_and_survived(redis_daemon, redis, fake):
    d = redis_daemon
    fake.set_script([], default={"text": "ok"})
    before = d.submit("before")
    assert d.wait_leaf(before)["state"] == "succeeded"

    redis.kill9()
    where = f"127.0.0.1:{redis.port}"
    r = d.request("GET", "/readyz")
    assert r.status == 503, r
    assert where in r.json["error"]["message"], r
    code, _, err = d.ctl("submit", "-q", "while down")
    assert code == 10, err  # unavailable: safe to retry
    assert where in err
    assert d.alive()

    redis.restart()
    he.wait_until(lambda: d.request("GET", "/readyz").status == 200, 30, what="/readyz after Redis is back")
    after = d.submit("after")
    assert d.wait_leaf(after)["state"] == "succeeded"
    assert d.leaf(before)["state"] == "succeeded"


def test_a_daemon_started_while_redis_is_down_exits_1_saying_why(daemon_factory, tmp_path):
    port = he.closed_port()
    d = daemon_factory(start=False, extra={"store": f"redis://:pw-Q7x@127.0.0.1:{port}/0",
                                           "redis_connect_timeout": "500ms"})
    d.write_config()
    d.state_dir.mkdir(exist_ok=True)
    p = subprocess.run(d.argv(), capture_output=True, text=True, timeout=30, env=d.env,
                       stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert f"127.0.0.1:{port}" in out and "refused" in out, out
    assert "pw-Q7x" not in out, out


def test_password_is_never_logged(make_daemon, tmp_path, fake):
    if not binary():
        pytest.skip("SKIPPED (prerequisite): redis-server is not installed (scripts/install-deps.sh)")
    secret = "pw-Zq8vK3nT"
    r = RedisServer(tmp_path / "redis-auth", ["--requirepass", secret]).start()
    r.password = secret
    try:
        d = make_daemon(extra={"store": r.url(userinfo=f":{secret}")})
        fake.set_script([], default={"text": "ok"})
        leaf_id = d.submit("auth")
        assert d.wait_leaf(leaf_id)["state"] == "succeeded"
        doctor = d.request("GET", "/v1/doctor")
        assert secret not in doctor.raw.decode()
        d.stop()
        assert secret not in d.log_text()
        assert f"127.0.0.1:{r.port}" in d.log_text()
    finally:
        r.stop()
