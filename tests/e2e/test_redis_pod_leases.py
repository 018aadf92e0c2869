"""kubectl pod leases shared by the daemons on one Redis (issue 9 item 6; docs/redis.md "Pod
leases"): max_leaves_per_pod holds across daemons, and the lease of a daemon killed -9 comes
free after lease_ttl. The pods are the stand-in kubectl's (tests/e2e/fake_kubectl)."""

import time

import harness_env as he
from test_kubectl import cluster, kube_daemon  # noqa: F401 (the fixture)
from test_redis_nodes import LEASE_S, node_config, open_calls, redis  # noqa: F401


def one_pod(cluster):  # noqa: F811
    (cluster / "pods.txt").write_text("sandbox-0 Running app=sb\n")


def two_daemons(make_daemon, cluster, redis):  # noqa: F811
    # max_running 1 each: the second leaf runs on the other daemon than the first.
    return [kube_daemon(make_daemon, cluster, node_config(redis, name), max_running=1,
                        selector="app=sb", max_leaves_per_pod=1) for name in ("a", "b")]



def test_the_pod_cap_holds_across_two_daemons(make_daemon, fake, workdir, cluster, redis):  # noqa: F811
    one_pod(cluster)
    a, b = two_daemons(make_daemon, cluster, redis)
    hold = ("mkdir /workspace/busy || { echo SHARED; exit 1; }; echo start $(date +%s.%N) >> "
            "/workspace/times; sleep 3; echo end $(date +%s.%N) >> /workspace/times; "
            "rmdir /workspace/busy; echo done")
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": hold}}]}, {"text": "ok"}])
    first = a.submit("one", "--sandbox", "pods", "--workdir", workdir)
    he.wait_until(lambda: open_calls(a, first), 30, what="the first leaf's tool call")
    second = b.submit("two", "--sandbox", "pods", "--workdir", workdir)
    for leaf_id in (first, second):
        leaf = a.wait_leaf(leaf_id, timeout=60)
        assert leaf["state"] == "succeeded", leaf["message"]
    assert {a.leaf(first)["node"], a.leaf(second)["node"]} == {"a", "b"}
    for leaf_id in (first, second):
        out = next(e["data"]["output"] for e in a.events(leaf_id) if e["type"] == "tool_finished")
        assert "SHARED" not in out and "done" in out, out
    times = (cluster / "pods" / "sandbox-0" / "times").read_text().split()
    marks = [(times[i], float(times[i + 1])) for i in range(0, len(times), 2)]
    assert [m[0] for m in marks] == ["start", "end", "start", "end"], marks  # one after the other


def test_a_killed_daemons_pod_lease_comes_free_after_lease_ttl(make_daemon, fake, workdir, cluster,
                                                                redis):  # noqa: F811
    one_pod(cluster)
    a, b = two_daemons(make_daemon, cluster, redis)
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "touch /workspace/first; sleep 20"}}]},
                     {"text": "ok"}])
    first = a.submit("one", "--sandbox", "pods", "--workdir", workdir)
    # Its command runs in the pod: the first daemon holds the pod's lease (tool_started alone is
    # written before the lease is asked for, so the second daemon could still win the race).
    he.wait_until(lambda: (cluster / "pods" / "sandbox-0" / "first").exists(), 30,
                  what="the first leaf's command in the pod")
    mine = "echo $(date +%s.%N) > /workspace/second; echo mine"
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": mine}}]},
                     {"text": "ok"}])
    second = b.submit("two", "--sandbox", "pods", "--workdir", workdir)
    # Its tool_started is written before it asks for a pod: it now waits for the lease.
    he.wait_until(lambda: open_calls(b, second), 30, what="the second leaf's tool call")
    time.sleep(2 * LEASE_S)  # well past lease_ttl: the first daemon renews its pod lease
    ran = cluster / "pods" / "sandbox-0" / "second"
    assert not ran.exists() and b.leaf(second)["state"] == "running"

    a.kill9()
    killed = time.time()
    leaf = b.wait_leaf(second, timeout=60)
    assert leaf["state"] == "succeeded", leaf
    waited = float(ran.read_text()) - killed
    assert 0 < waited <= LEASE_S + he.scaled(5), waited  # ttl + a 500 ms retry + listing, copy-in, model
    print(f"pod lease of a killed daemon free after {waited:.2f} s (lease_ttl {LEASE_S} s)")
