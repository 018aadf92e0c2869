"""The escape suite: a model that tries to break out of its bwrap sandbox through the `bash` tool,
driven through the real harnessd and harnessctl. Each attack asserts the contained result that
docs/sandbox.md documents, from the tool_finished event and from the host."""

import os
import re
import socket
import time

import pytest

import harness_env as he

FILE_MB = 16
PIDS = 64
SANDBOXES = {
    "default": {"driver": "bwrap", "network": False, "file_size_mb": FILE_MB, "pids_max": PIDS},
    # Room for a 1 GiB stream, to show that the daemon only ever holds head + tail of it.
    "roomy": {"driver": "bwrap", "network": False, "file_size_mb": 1200},
}


@pytest.fixture
def box(make_daemon):
    return make_daemon(sandboxes=SANDBOXES)


def attack(daemon, fake, workdir, commands, sandbox="default", timeout_s=None):
    """Runs one leaf whose model calls `bash` once per command, then answers "done". Returns the
    leaf and the tool_finished data of each call, in order."""
    prompt = f"escape attempt {time.monotonic_ns()}"
    steps = []
    for c in commands:
        args = {"command": c, **({"timeout_s": timeout_s} if timeout_s else {})}
        steps.append({"tool_calls": [{"name": "bash", "input": args}]})
    fake.add_script(prompt, steps + [{"text": "done"}])
    leaf_id = daemon.submit(prompt, "--workdir", workdir, "--sandbox", sandbox)
    leaf = daemon.wait_leaf(leaf_id, timeout=180)
    finished = [e["data"] for e in daemon.events(leaf_id) if e["type"] == "tool_finished"]
    assert len(finished) == len(commands), (leaf, finished)
    return leaf, finished


def stdout_of(result):
    out = result["output"]
    m = re.search(r"--- stdout ---\n(.*?)(?:--- stderr ---\n|\Z)", out, re.S)
    return m.group(1) if m else ""


def test_the_daemon_environment_never_enters(box, fake, workdir):
    assert box.env[he.API_KEY_ENV] == he.API_KEY  # the daemon holds the secret...
    leaf, [r] = attack(box, fake, workdir, [
        f"env; echo ---; tr '\\0' '\\n' </proc/1/environ; echo ---; "
        f"cat /proc/{box.proc.pid}/environ || echo no-daemon-proc"])
    out = r["output"]
    assert leaf["state"] == "succeeded"
    # ...the sandbox sees only its allowlist: no key, no variable of the daemon's.
    assert he.API_KEY not in out and he.API_KEY_ENV not in out
    assert "HARNESS_" not in out.replace("--- stdout ---", "")
    assert "HOME=/workspace" in out and "PATH=/usr/local/bin:/usr/bin:/bin" in out
    assert "no-daemon-proc" in out


def test_the_state_dir_and_other_workspaces_are_invisible(box, fake, workdir, tmp_path):
    other = tmp_path / "other-leaf"
    other.mkdir()
    (other / "secret.txt").write_text("other leaf's data\n")
    leaf, [r] = attack(box, fake, workdir, [
        f"ls {box.state_dir} || echo no-state-dir; cat {other}/secret.txt || echo no-other; "
        "find / -xdev \\( -name harness.db -o -name secret.txt \\) 2>/dev/null; echo end"])
    out = stdout_of(r)
    assert (box.state_dir / "harness.db").exists()
    assert "no-state-dir" in out and "no-other" in out
    assert "harness.db" not in out and "secret.txt" not in out and "other leaf" not in out


def test_writes_outside_the_workspace_fail(box, fake, workdir):
    before = set(os.listdir(workdir.parent))
    leaf, [r] = attack(box, fake, workdir, [
        "for t in /etc/x /usr/x ../x /x /bin/x /dev/x /proc/x; do "
        "echo x > $t 2>/dev/null && echo wrote $t || echo denied $t; done; echo ok > inside"])
    out = stdout_of(r)
    assert "wrote" not in out and out.count("denied") == 7
    assert (workdir / "inside").read_text() == "ok\n"
    assert not os.path.exists("/etc/x") and not os.path.exists("/usr/x")
    assert set(os.listdir(workdir.parent)) == before


def test_the_network_is_off(box, fake, workdir):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    try:
        leaf, [r] = attack(box, fake, workdir, [
            "python3 -c 'import socket\n"
            f"for addr in ((\"127.0.0.1\", {port}), (\"1.1.1.1\", 53)):\n"
            "    try:\n"
            "        socket.create_connection(addr, timeout=3); print(\"connected\")\n"
            "    except OSError as e:\n"
            "        print(type(e).__name__, e.errno)\n'"])
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    out = stdout_of(r)
    assert "connected" not in out
    assert out.splitlines() == ["ConnectionRefusedError 111", "OSError 101"]  # own lo; no route


def test_tiocsti_injection_is_refused(box, fake, workdir):
    leaf, [r] = attack(box, fake, workdir, [
        "python3 -c 'import os, fcntl, termios\n"
        "m, s = os.openpty()\n"
        "for fd in (s, 0):\n"
        "    try:\n"
        "        fcntl.ioctl(fd, termios.TIOCSTI, b\"x\"); print(\"injected\")\n"
        "    except OSError as e:\n"
        "        print(e.errno)\n'"])
    # EPERM on a terminal (the seccomp filter); the tool's stdin is no terminal at all.
    assert stdout_of(r).splitlines() == ["1", "1"]


def test_a_fork_bomb_is_contained(box, fake, workdir):
    t0 = time.monotonic()
    leaf, [bomb, after] = attack(box, fake, workdir, [
        "b() { b | b & }; b; sleep 3; echo still-here",
        "ls /proc | grep -c '^[0-9]'; echo alive"], timeout_s=20)
    assert time.monotonic() - t0 < 60
    assert leaf["state"] == "succeeded"
    assert bomb["exit_code"] is not None
    lines = stdout_of(after).split()
    assert lines[-1] == "alive" and int(lines[0]) < 10  # the bomb died with its tool call
    assert box.alive() and box.ctl("status", leaf["id"])[0] == 0


def test_filling_the_disk_stops_at_the_file_size_limit(box, fake, workdir):
    leaf, [dd, tmp] = attack(box, fake, workdir, [
        "dd if=/dev/zero of=big bs=1M count=100000",
        "for i in 1 2 3 4 5 6; do head -c 10485760 /dev/zero > /tmp/f$i || echo full$i; done"])
    assert dd["exit_code"] == 128 + 25  # SIGXFSZ
    assert os.path.getsize(workdir / "big") <= FILE_MB * 1024 * 1024
    # /tmp holds 2 * FILE_MB + 16 MiB = 48 MiB: the fifth 10 MiB file does not fit.
    assert "full4" not in tmp["output"] and "full5" in tmp["output"]
    assert "No space left" in tmp["output"]


def test_a_command_ignoring_sigterm_is_killed(box, fake, workdir):
    t0 = time.monotonic()
    leaf, [r] = attack(box, fake, workdir, ["trap '' TERM; sleep 1000"], timeout_s=2)
    assert time.monotonic() - t0 < 30
    assert r["is_error"] is True and r["exit_code"] == 128 + 9
    assert "timed out after 2s" in r["output"]
    assert leaf["state"] == "succeeded"


def vm_hwm_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_a_gigabyte_of_output_is_capped(box, fake, workdir):
    leaf, [big, after] = attack(box, fake, workdir, [
        "head -c 1073741824 /dev/zero | tr '\\0' a", "echo next"], sandbox="roomy")
    out = big["output"]
    assert big["exit_code"] == 0
    assert re.search(r"…\[\d+ bytes elided\]…", out)
    assert len(out) < 256 * 1024
    assert stdout_of(after) == "next\n" and leaf["state"] == "succeeded"
    # Peak RSS of the daemon, far below 1 GiB (ASan's shadow and quarantine add their own).
    assert vm_hwm_kib(box.proc.pid) < (400 if he.sanitized_build() else 200) * 1024
