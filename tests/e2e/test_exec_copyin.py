"""harness-exec copied into containers the daemon did not create (SPEC §12, issue 12): an
existing podman container and a kubectl pod (the stand-in tests/e2e/fake_kubectl). The first
leaf copies the helper in under a name keyed by its hash, later leaves reuse it; where it cannot
run (read-only or noexec /tmp) the leaf still succeeds on the POSIX sh protocol."""

import hashlib
import os

import pytest

import harness_env as he
from test_core import ANSWER, PROMPT
from test_kubectl import calls, cluster, kube_daemon  # noqa: F401 (fixture)
from test_podman import image, podman, podman_daemon, start_sandbox0  # noqa: F401 (fixture)

# The parent of a bash command's shell: harness-exec runs `sh -c COMMAND`, the sh protocol a
# `setsid sh` of its own.
PARENT = "tr '\\0' ' ' </proc/$PPID/cmdline; echo; cat input.txt"


def helper_path():
    """The build's harness-exec, as the daemon under test finds it (beside apps/harnessd)."""
    d = os.path.dirname(os.path.dirname(he.harnessd_path()))
    return os.path.join(d, "harness-exec", "harness-exec")


def hashed_name():
    with open(helper_path(), "rb") as f:
        return "/tmp/.harness-exec-" + hashlib.sha256(f.read()).hexdigest()[:16]


def run_leaf(d, fake, workdir, sandbox):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": PARENT}}]},
                     {"text": ANSWER}])
    leaf_id = d.submit(PROMPT, "--sandbox", sandbox, "--workdir", workdir)
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "90s", timeout=120)
    assert code == 0, err + d.log_tail()
    out = next(e["data"]["output"] for e in d.events(leaf_id) if e["type"] == "tool_finished")
    assert "from the host" in out  # the workspace was copied in, the command ran
    return out


def copies(d):
    return d.log_text().count("copied harness-exec in at")


def start_container(image, *extra):
    return start_sandbox0(image, *extra, prefix="sandbox-hx")


@pytest.fixture
def container(image):
    names = []
    yield lambda *extra: names.append(start_container(image, *extra)) or names[-1]
    for n in names:
        podman("rm", "-f", n)


def test_existing_container_gets_the_helper_once(make_daemon, fake, workdir, container):
    if not os.path.exists(helper_path()):
        pytest.skip("harness-exec is not built")
    (workdir / "input.txt").write_text("from the host\n")
    box = container()
    d = podman_daemon(make_daemon, container=box)
    name = hashed_name()
    out = run_leaf(d, fake, workdir, "box")
    assert name in out, out  # the command's parent is the copied helper
    stat = podman("exec", box, "stat", "-c", "%Y %i %a %s", name)
    assert stat.returncode == 0, stat.stderr
    assert stat.stdout.split()[2:] == ["755", str(os.path.getsize(helper_path()))]
    assert copies(d) == 1

    out = run_leaf(d, fake, workdir, "box")
    assert name in out
    assert copies(d) == 1  # reused: not copied again
    assert podman("exec", box, "stat", "-c", "%Y %i %a %s", name).stdout == stat.stdout

    code, report, err = d.ctl("doctor", timeout=120)
    assert f"channel harness-exec (found at {name}" in report or \
        f"channel harness-exec (copied in at {name}" in report, report
    # A daemon started later finds the helper there and does not copy it again.
    d.restart()
    assert name in run_leaf(d, fake, workdir, "box")
    assert copies(d) == 1


@pytest.mark.parametrize("kind", ["noexec", "read-only"])
def test_helper_that_cannot_be_placed_falls_back_to_sh(make_daemon, fake, workdir, container, kind):
    if not os.path.exists(helper_path()):
        pytest.skip("harness-exec is not built")
    (workdir / "input.txt").write_text("from the host\n")
    if kind == "noexec":
        box = container("--tmpfs", "/tmp:rw,noexec,mode=1777")
    else:  # /tmp on a read-only rootfs; the workspace and the sh protocol's dir are writable
        box = container("--read-only", "--read-only-tmpfs=false", "--tmpfs", "/workspace",
                        "--tmpfs", "/tmp/.harness:mode=1777")
    d = podman_daemon(make_daemon, container=box)
    for _ in range(2):
        out = run_leaf(d, fake, workdir, "box")
        assert ".harness-exec-" not in out
    assert podman("exec", box, "ls", "-a", "/tmp").stdout.count(".harness-exec") == 0
    log = d.log_text()
    assert log.count("speaking the sh protocol") == 1, log  # once per container, not per leaf
    assert ("Permission denied" if kind == "noexec" else "Read-only file system") in log
    code, report, err = d.ctl("doctor", timeout=120)
    assert "channel sh (cannot place harness-exec at" in report, report


def test_pod_gets_the_helper_through_kubectl_exec(make_daemon, fake, workdir, cluster):  # noqa: F811
    if not os.path.exists(helper_path()):
        pytest.skip("harness-exec is not built")
    (workdir / "input.txt").write_text("from the host\n")
    d = kube_daemon(make_daemon, cluster, pod="sandbox-1")
    name = hashed_name()
    for _ in range(2):
        assert name in run_leaf(d, fake, workdir, "pods")
    assert copies(d) == 1
    placed = cluster / "podtmp" / "sandbox-1" / os.path.basename(name)
    assert placed.read_bytes() == open(helper_path(), "rb").read()
    # The shells are `kubectl exec -i POD -- sh -c PRELUDE ... HELPER`: no kubectl cp, no tar of ours.
    shells = [c for c in calls(cluster) if "exec" in c and name in c]
    assert shells and all("cp" not in c for c in calls(cluster))
    # A pod recreated under the same name (its /tmp empty): the next leaf places it again.
    placed.unlink()
    assert name in run_leaf(d, fake, workdir, "pods")
    assert copies(d) == 2 and placed.exists()
