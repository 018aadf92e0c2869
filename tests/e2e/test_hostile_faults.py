"""Faults from outside the leaves (issue 7): a second daemon on the same state dir, a full disk
under the store, and a leaf whose recovery keeps killing the daemon. After each the daemon that
should be serving still is (same pid), and the leaves end in their documented state."""

import errno
import subprocess

import pytest

import harness_env as he

TERMINAL = ("succeeded", "failed", "rejected", "cancelled")


# ---------------------------------------------------------------- one daemon per state dir


def test_a_second_daemon_on_the_same_state_dir_exits_1_naming_the_lock_and_holder(daemon_factory):
    first = daemon_factory()
    pid = first.proc.pid
    lock = first.state_dir / "harnessd.lock"
    other_socket = first.root / "second.sock"
    for socket in (other_socket, first.socket):  # another socket, and the very same one
        argv = [a if a != str(first.socket) else str(socket) for a in first.argv()]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=first.env,
                           stdin=subprocess.DEVNULL)
        out = p.stdout + p.stderr
        assert p.returncode == 1, out
        assert str(lock) in out and f"pid {pid}" in out, out
    assert not other_socket.exists()
    assert first.alive() and first.proc.pid == pid
    assert first.request("GET", "/readyz").status == 200  # its socket was left alone

    # A lock left by a dead process never blocks a restart.
    first.kill9()
    first.restart()
    assert lock.read_text().strip() == str(first.proc.pid)


# ---------------------------------------------------------------- the store's disk fills up


@pytest.fixture
def small_state_dir(daemon_factory):
    """A daemon (not started) whose state dir is an 8 MiB tmpfs; unmounted after the test."""
    he.require("root", "mounts a small tmpfs as the state dir")
    d = daemon_factory(start=False)
    d.state_dir.mkdir(parents=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", str(d.state_dir)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the full-disk test: {p.stderr.strip()}")
    yield d
    d.stop()
    subprocess.run(["umount", "-l", str(d.state_dir)], check=False)


def fill(path):
    """Writes `path` until the file system is full."""
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e
                return


def error_message(r):
    return (r.json or {}).get("error", {}).get("message", "")


def test_a_full_disk_stalls_the_leaf_until_space_returns_then_it_finishes_by_itself(small_state_dir, fake):
    d = small_state_dir.start()
    pid = d.proc.pid
    fake.set_script([{"text": "made it", "delay": 2}])
    leaf_id = d.submit("answer after the disk filled up")
    assert fake.wait_for(lambda f: f.in_flight == 1)
    filler = d.state_dir / "filler"
    fill(filler)

    # The answer arrives but cannot be persisted: the leaf waits, retrying.
    he.wait_until(lambda: "cannot persist model_response" in d.log_text(), 30, what="a failed append")
    assert d.leaf(leaf_id)["state"] == "running"
    r = d.submit_api({"prompt": "another one"})
    assert r.status == 503, r
    assert r.json["error"]["code"] == "unavailable" and "full" in error_message(r), r
    code, _, err = d.ctl("submit", "-q", "from the command line")
    assert code == 10 and "full" in err, (code, err)  # 10: safe to retry
    ready = d.request("GET", "/readyz")
    assert ready.status == 503 and "full" in error_message(ready), ready
    waiter = subprocess.Popen([he.harnessctl_path(), "--socket", str(d.socket), "wait", leaf_id],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=d.ctl_env())
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            waiter.wait(timeout=1)  # still waiting: the leaf is not done
        filler.unlink()
        assert waiter.wait(timeout=30) == 0, waiter.stderr.read()
    finally:
        if waiter.poll() is None:
            waiter.kill()
            waiter.wait()

    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "made it", leaf
    assert d.event_types(leaf_id).count("model_response") == 1
    he.wait_until(lambda: d.request("GET", "/readyz").status == 200, 15, what="/readyz to recover")
    assert d.submit_api({"prompt": "after"}).status == 201
    assert d.alive() and d.proc.pid == pid
    # The answer that could not be written at first was kept and written, not asked for again.
    assert len([r for r in fake.model_requests() if "disk filled up" in str(r["body"])]) == 1


# ---------------------------------------------------------------- crash-loop guard


def recoveries(d, leaf_id):
    return [e for e in d.events(leaf_id) if e["type"] == "leaf_recovered"]


def test_a_leaf_whose_recovery_crashed_the_daemon_3_times_is_quarantined(daemon_factory, fake):
    # Every model call hangs: each start of the daemon recovers the leaf into a call in flight,
    # and we kill -9 the daemon right there, as a crash during recovery would.
    fake.set_script([], default={"text": "never seen", "delay": 120})
    d = daemon_factory()
    leaf_id = d.submit("crash the daemon")
    assert fake.wait_for(lambda f: len(f.model_requests()) == 1)
    d.kill9()  # the first run's crash: not a recovery yet

    for n in (1, 2, 3):
        d.restart()
        he.wait_until(lambda: len(recoveries(d, leaf_id)) == n, 30, what=f"recovery {n}")
        assert fake.wait_for(lambda f: len(f.model_requests()) == n + 1)
        assert d.leaf(leaf_id)["crashed_recoveries"] == n
        d.kill9()

    d.restart()
    leaf = d.wait_leaf(leaf_id, timeout=30)
    assert leaf["state"] == "failed" and leaf["reason"] == "internal", leaf
    assert leaf["message"].startswith("quarantined after 3 crashed recoveries"), leaf
    assert [e["data"]["after"] for e in recoveries(d, leaf_id)] == ["crash"] * 3
    assert len(fake.model_requests()) == 4  # not called again for the quarantined leaf
    assert d.request("GET", "/readyz").status == 200


def test_a_store_that_cannot_list_its_leaves_at_start_exits_1(daemon_factory, fake):
    import sqlite3

    fake.set_script([], default={"text": "slow", "delay": 60})
    d = daemon_factory()
    leaf_id = d.submit("will be unreadable")
    assert fake.wait_for(lambda f: f.in_flight == 1)
    d.kill9()
    db = sqlite3.connect(d.state_dir / "harness.db")
    db.execute("UPDATE leaves SET row = 'not json' WHERE id = ?", (leaf_id,))
    db.commit()
    db.close()
    with pytest.raises(AssertionError, match="exited with 1 before ready"):
        d.start(timeout=30)  # exit 1: a supervisor restarts it, an operator sees why
    assert "recovery failed" in d.log_text() and "corrupt leaf row" in d.log_text()
