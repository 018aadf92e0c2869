"""The kubectl driver against a stand-in kubectl (tests/e2e/fake_kubectl, first on PATH): no
real cluster is used. The stand-in checks every argv it gets and runs `exec`'d shells locally
in bwrap, each pod's /workspace a directory of its own."""

import json
import os
import time

import pytest

import harness_env as he
from test_core import ANSWER, PROMPT, THREE_TURNS

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def cluster(tmp_path):
    """The stand-in's state: pods.txt, namespace.txt, a kubeconfig in the same dir, and a bin
    dir holding `kubectl` -> fake_kubectl."""
    state = tmp_path / "cluster"
    (state / "bin").mkdir(parents=True)
    os.symlink(os.path.join(HERE, "fake_kubectl"), state / "bin" / "kubectl")
    (state / "namespace.txt").write_text("agents\n")
    (state / "kubeconfig").write_text("# stand-in\n")
    (state / "pods.txt").write_text("sandbox-0 Running app=sb\nsandbox-1 Running app=sb\n"
                                    "sandbox-2 Pending app=sb\n")
    return state


def kube_daemon(make_daemon, cluster, config=None, max_running=8, **sandbox):
    """A daemon whose sandbox `pods` is the kubectl driver on the stand-in (`config`: more
    top-level keys)."""
    profile = {"driver": "kubectl", "namespace": "agents", "kubeconfig": str(cluster / "kubeconfig"),
               "context": "test", **sandbox}
    env = {"PATH": f"{cluster / 'bin'}:{os.environ['PATH']}"}
    return make_daemon(sandboxes={"default": {"driver": "bwrap"}, "pods": profile}, extra_env=env,
                       extra=config, max_running=max_running)


def calls(cluster):
    return [json.loads(line) for line in (cluster / "calls.log").read_text().splitlines()]


@pytest.mark.parametrize("mode", ["pod", "selector"])
def test_three_turn_leaf_in_a_pod(make_daemon, fake, workdir, cluster, mode):
    (workdir / "input.txt").write_text("from the host\n")
    target = {"pod": "sandbox-1"} if mode == "pod" else {"selector": "app=sb"}
    d = kube_daemon(make_daemon, cluster, container="main", **target)
    script = [dict(THREE_TURNS[0]), THREE_TURNS[1], THREE_TURNS[2]]
    script[0] = {"tool_calls": [{"name": "bash", "input": {"command": "cat input.txt; echo hello > out.txt"}}]}
    fake.set_script(script)
    leaf_id = d.submit(PROMPT, "--sandbox", "pods", "--workdir", workdir)
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 0, err
    assert d.leaf(leaf_id)["result"] == ANSWER
    bash = next(e for e in d.events(leaf_id) if e["type"] == "tool_finished" and e["data"]["name"] == "bash")
    assert "from the host" in bash["data"]["output"]  # the workspace was copied in
    read = next(e for e in d.events(leaf_id) if e["type"] == "tool_finished" and e["data"]["name"] == "read_file")
    assert "hello" in read["data"]["output"]
    # The file lives in the pod, under /workspace/<leaf id>; it is not copied back.
    pods = [p for p in ("sandbox-0", "sandbox-1") if (cluster / "pods" / p / leaf_id / "out.txt").exists()]
    assert len(pods) == 1 and (mode == "selector" or pods == ["sandbox-1"])
    assert not (workdir / "out.txt").exists()
    # So the daemon lists no workspace changes: the host's workspace is not where the tools wrote.
    assert "workspace_changes" not in d.event_types(leaf_id)
    code, out, _ = d.ctl("logs", leaf_id)
    assert code == 0 and ANSWER in out and "changed in the workspace" not in out
    execs = [c for c in calls(cluster) if "exec" in c]
    assert execs and all(c[:6] == ["--kubeconfig", str(cluster / "kubeconfig"), "--context", "test",
                                   "-n", "agents"] for c in execs)
    assert all(c[c.index("exec") + 3:c.index("exec") + 5] == ["-c", "main"] for c in execs)
    assert all("--request-timeout=30s" in c for c in execs)
    if mode == "selector":
        assert any("get" in c and "app=sb" in c for c in calls(cluster))


def test_missing_pod_fails_sandbox_error(make_daemon, fake, workdir, cluster):
    d = kube_daemon(make_daemon, cluster, pod="nope")
    fake.set_script(THREE_TURNS)
    leaf_id = d.submit(PROMPT, "--sandbox", "pods", "--workdir", workdir)
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 3, err
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "sandbox_error"
    assert "sandbox 'pods'" in leaf["message"]
    assert 'pods "nope" not found' in leaf["message"]


def test_no_running_pod_for_selector(make_daemon, fake, workdir, cluster):
    d = kube_daemon(make_daemon, cluster, selector="app=other")
    fake.set_script(THREE_TURNS)
    leaf_id = d.submit(PROMPT, "--sandbox", "pods", "--workdir", workdir)
    assert d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)[0] == 3
    leaf = d.leaf(leaf_id)
    assert leaf["reason"] == "sandbox_error"
    assert "no running pod matches selector app=other in namespace agents" in leaf["message"]


def test_leases_cap_leaves_per_pod(make_daemon, fake, workdir, cluster):
    """2 running pods, cap 1, 3 leaves holding their pod ~2s each: never two leaves in one pod
    at once (a lock dir in the pod's /workspace proves it), and the third waits its turn."""
    d = kube_daemon(make_daemon, cluster, selector="app=sb", max_leaves_per_pod=1)
    hold = ("mkdir /workspace/busy || { echo SHARED; exit 1; }; sleep 2; rmdir /workspace/busy;"
            " echo done")
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": hold}}]}, {"text": "ok"}])
    ids = [d.submit(f"leaf {i}", "--sandbox", "pods", "--workdir", workdir) for i in range(3)]
    t0 = time.monotonic()
    for leaf_id in ids:
        code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
        assert code == 0, err
    assert time.monotonic() - t0 >= 4  # two rounds: the third leaf waited for a lease
    for leaf_id in ids:
        out = next(e["data"]["output"] for e in d.events(leaf_id) if e["type"] == "tool_finished")
        assert "SHARED" not in out and "done" in out
