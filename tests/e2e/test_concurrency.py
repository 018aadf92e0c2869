"""Many leaves at once: all finish, and never more than max_running run at the same time."""

import threading
from concurrent.futures import ThreadPoolExecutor

import harness_env as he
from fake_model import user_texts

N = 50
MAX_RUNNING = 8


def test_fifty_leaves_with_max_running_8(make_daemon, fake):
    # Two turns each (one tool call through the sandbox), a little model latency so that
    # concurrency is observable at the fake.
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "echo hi"}}], "delay": 0.1},
                     {"text": "ok", "delay": 0.1}])
    d = make_daemon(max_running=MAX_RUNNING)

    running_seen = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            r = d.request("GET", "/v1/leaves?state=running&limit=200")
            if r.status == 200:
                running_seen.append(len(r.json["leaves"]))
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            ids = list(pool.map(lambda i: d.submit(f"leaf number {i}"), range(N)))
        assert len(set(ids)) == N
        code, out, err = d.ctl("wait", *ids, "--timeout", "120s", timeout=180)
        assert code == 0, err
    finally:
        stop.set()
        sampler.join(timeout=10)

    leaves = {leaf["id"]: leaf for leaf in d.leaves()}
    assert set(ids) <= set(leaves)
    assert all(leaves[i]["state"] == "succeeded" and leaves[i]["result"] == "ok" for i in ids)
    assert fake.max_in_flight <= MAX_RUNNING
    assert fake.max_in_flight >= 2, "leaves did not run concurrently at all"
    assert running_seen and max(running_seen) <= MAX_RUNNING
    # Each leaf's conversation is its own: every leaf asked exactly twice, with its own prompt.
    firsts = sorted(user_texts(r)[0] for r in fake.replies() if r["turn"] == 0)
    assert firsts == sorted(f"leaf number {i}" for i in range(N))
    assert len(fake.replies()) == 2 * N and fake.errors == []


def test_queued_leaves_report_queued(make_daemon, fake):
    fake.set_script([{"hang": True}], default={"text": "ok"})
    d = make_daemon(max_running=1)
    first = d.submit("blocker")
    assert fake.wait_for(lambda f: f.in_flight == 1, timeout=30)
    second = d.submit("waits its turn")
    assert d.leaf(second)["state"] == "queued"
    code, out, _ = d.ctl("ls", "--state", "queued", "-o", "json")
    assert code == 0 and he.ls_ids(out) == [second]
    assert d.ctl("cancel", first)[0] == 0
    assert d.wait_leaf(second)["state"] == "succeeded"
