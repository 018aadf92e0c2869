"""The podman driver for real, both modes, in a busybox-only image built here from Debian's
busybox-static. This machine's podman needs `--runtime runc` and explicit ulimits: they come
from the profile's global_args/create_args, as a user would configure them."""

import os
import shutil
import subprocess
import tarfile
import time
import uuid

import pytest

import harness_env as he
from test_core import ANSWER, PROMPT, THREE_TURNS

IMAGE = "localhost/harness-test-busybox:latest"
GLOBAL_ARGS = ["--runtime", "runc"]
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


def podman(*args, timeout=60):
    return subprocess.run(["podman", *GLOBAL_ARGS, *args], capture_output=True, text=True,
                          timeout=timeout)


def build_image(tmp):
    """A rootfs with only busybox: /bin/<applet> symlinks, /workspace, /tmp."""
    root = tmp / "rootfs"
    for d in ("bin", "workspace", "tmp", "proc", "dev", "sys", "etc"):
        (root / d).mkdir(parents=True)
    (root / "tmp").chmod(0o1777)  # as in any image; runc gives the --tmpfs /tmp this mode
    shutil.copy("/bin/busybox", root / "bin" / "busybox")
    applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split()
    for a in applets:
        if a != "busybox":
            os.symlink("busybox", root / "bin" / a)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    tarball = tmp / "rootfs.tar"
    with tarfile.open(tarball, "w") as t:
        t.add(root, arcname=".")
    r = subprocess.run(["podman", "import", str(tarball), IMAGE], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    he.require("podman", "runs leaves in podman containers")
    he.require("busybox", "builds its container image from /bin/busybox")
    build_image(tmp_path_factory.mktemp("img"))
    r = podman("run", "--rm", *ULIMITS, IMAGE, "true")
    if r.returncode != 0:
        he.unavailable("podman", f"podman --runtime runc run fails on this machine: {r.stderr.strip()}")
    return IMAGE


def start_sandbox0(image, *extra, prefix="sandbox-0"):
    """A long-running container named PREFIX-<random> to exec into; returns its name."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    r = podman("run", "-d", "--name", name, *ULIMITS, "--network", "none", *extra, image,
               "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done")
    assert r.returncode == 0, r.stderr
    return name


@pytest.fixture
def sandbox0(image):
    """A long-running container to exec into, like a user's sandbox-0."""
    name = start_sandbox0(image)
    yield name
    podman("rm", "-f", name)


@pytest.fixture(params=["harness-exec", "sh"])
def sandbox0_over(request, image):
    """sandbox-0 and the channel protocol leaves speak in it: harness-exec copied in, or sh
    (a noexec /tmp, where the helper cannot run)."""
    extra = ("--tmpfs", "/tmp:rw,noexec,mode=1777") if request.param == "sh" else ()
    name = start_sandbox0(image, *extra)
    yield name, request.param
    podman("rm", "-f", name)


def podman_daemon(make_daemon, **profile):
    box = {"driver": "podman", "global_args": GLOBAL_ARGS, **profile}
    return make_daemon(sandboxes={"default": {"driver": "bwrap"}, "box": box})


def run_three_turns(d, fake, workdir):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "cat input.txt; echo hello > out.txt"}}]},
                     THREE_TURNS[1], THREE_TURNS[2]])
    leaf_id = d.submit(PROMPT, "--sandbox", "box", "--workdir", workdir)
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "90s", timeout=120)
    assert code == 0, err
    assert d.leaf(leaf_id)["result"] == ANSWER
    outputs = {e["data"]["name"]: e["data"]["output"] for e in d.events(leaf_id) if e["type"] == "tool_finished"}
    assert "from the host" in outputs["bash"]
    assert "hello" in outputs["read_file"]
    return leaf_id


def test_exec_into_existing_container(make_daemon, fake, workdir, sandbox0):
    (workdir / "input.txt").write_text("from the host\n")
    d = podman_daemon(make_daemon, container=sandbox0)
    leaf_id = run_three_turns(d, fake, workdir)
    # Inputs were copied in; the output stays in the container (not copied back).
    r = podman("exec", sandbox0, "cat", f"/workspace/{leaf_id}/out.txt")
    assert r.returncode == 0 and r.stdout == "hello\n"
    assert not (workdir / "out.txt").exists()
    assert "workspace_changes" not in d.event_types(leaf_id)  # nothing changed on the host


def test_container_per_leaf_from_image(make_daemon, fake, workdir, image):
    (workdir / "input.txt").write_text("from the host\n")
    d = podman_daemon(make_daemon, image=image, create_args=ULIMITS, memory_mb=256, pids_max=64)
    leaf_id = run_three_turns(d, fake, workdir)
    assert (workdir / "out.txt").read_text() == "hello\n"  # bind-mounted workspace
    [changes] = [e["data"] for e in d.events(leaf_id) if e["type"] == "workspace_changes"]
    assert [f["path"] for f in changes["files"]] == ["out.txt"]
    name = f"harness-{leaf_id}"

    def gone():
        r = podman("ps", "-a", "--format", "{{.Names}}")
        return name not in r.stdout.split()
    he.wait_until(gone, 30, what=f"container {name} removed")


def test_hardening_of_the_per_leaf_container(make_daemon, fake, workdir, image):
    d = podman_daemon(make_daemon, image=image, create_args=ULIMITS)
    probe = ("touch /etc/x 2>&1; echo rootfs=$?; grep CapEff /proc/self/status;"
             " grep NoNewPrivs /proc/self/status; ls /sys/class/net; echo env; env | sort")
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": probe}}]}, {"text": "ok"}])
    leaf_id = d.submit("probe", "--sandbox", "box", "--workdir", workdir)
    assert d.ctl("wait", leaf_id, "--timeout", "90s", timeout=120)[0] == 0
    out = next(e["data"]["output"] for e in d.events(leaf_id) if e["type"] == "tool_finished")
    assert "rootfs=1" in out and "Read-only file system" in out
    assert "CapEff:\t0000000000000000" in out
    assert "NoNewPrivs:\t1" in out
    assert "eth0" not in out  # --network none: loopback only
    assert "ANTHROPIC" not in out and "HARNESS" not in out and "HOME=/workspace" in out


def test_missing_image_fails_sandbox_error(make_daemon, fake, workdir, image):
    d = podman_daemon(make_daemon, image="localhost/harness-no-such-image:latest", create_args=ULIMITS)
    fake.set_script(THREE_TURNS)
    leaf_id = d.submit(PROMPT, "--sandbox", "box", "--workdir", workdir)
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 3, err
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "failed" and leaf["reason"] == "sandbox_error"
    assert "sandbox 'box' (podman)" in leaf["message"]
    assert "harness-no-such-image" in leaf["message"]


def test_missing_container_fails_sandbox_error(make_daemon, fake, workdir, image):
    d = podman_daemon(make_daemon, container="harness-no-such-container")
    fake.set_script(THREE_TURNS)
    leaf_id = d.submit(PROMPT, "--sandbox", "box", "--workdir", workdir)
    assert d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)[0] == 3
    leaf = d.leaf(leaf_id)
    assert leaf["reason"] == "sandbox_error" and "harness-no-such-container" in leaf["message"]


def test_commands_left_running_by_a_crash_are_killed(make_daemon, fake, workdir, sandbox0_over):
    """kill -9 of harnessd while a command runs in an existing container. harness-exec sees its
    stdin end with the exec client and kills the command itself. Under sh the command survives its
    exec client; the recovered leaf's new shell finds it by the leaf's marker and kills it."""
    sandbox0, protocol = sandbox0_over
    d = podman_daemon(make_daemon, container=sandbox0)
    marker = f"lingering-{uuid.uuid4().hex[:6]}"
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {"command": f"echo {marker}; sleep 300"}}]},
        {"tool_calls": [{"name": "bash", "input": {"command": "echo next"}}]},
        {"text": "recovered"},
    ])
    leaf_id = d.submit("linger", "--sandbox", "box", "--workdir", workdir)

    def sleeping():
        r = podman("exec", sandbox0, "sh", "-c", "ps -o pid,args | grep '[s]leep 300' | wc -l")
        return r.stdout.strip() not in ("", "0")
    he.wait_until(sleeping, 30, what="the command to run in the container")
    d.kill9()
    if protocol == "harness-exec":
        he.wait_until(lambda: not sleeping(), 30, what="harness-exec to kill the command")
    else:
        time.sleep(1)
        assert sleeping(), "the command died with its exec client: nothing to clean up"
    d.restart()
    leaf = d.wait_leaf(leaf_id, timeout=60)
    assert leaf["state"] == "succeeded", leaf
    assert not sleeping(), "the recovered leaf's shell did not kill the lost command"
