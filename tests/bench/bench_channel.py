#!/usr/bin/env python3
"""Tool round trip per driver: the persistent channel vs a fresh `exec` per call, same run.

Persistent: one harnessd leaf whose single turn makes N `bash` calls (`echo x`); the daemon's
own `tool_finished.duration_ms` (tool start to result, persistence excluded) of calls 2..N —
call 1 also opens the shell and is shown apart. Fresh exec: the same command started N times
as its own sandbox process, the way a per-call driver would (`bwrap … sh -c`, `podman exec`,
`kubectl exec`), timed from Python around the child process. Medians in ms; ratio =
fresh / persistent. Drivers this machine cannot run are skipped with the reason. The kubectl
figures use the stand-in tests/e2e/fake_kubectl (a python3 script + bwrap): no real cluster.

Run: python3 tests/bench/bench_channel.py  (env: HARNESSD, HARNESSCTL, BENCH_N=30)
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402
from fake_model import FakeModel  # noqa: E402

N = int(os.environ.get("BENCH_N", "30"))
CMD = "echo x"


def persistent_ms(root, fake, profile, extra_env=None):
    """Median duration_ms of calls 2..N and the first call's, through harnessd."""
    config = {"models": {"default": he.anthropic_model(fake)},
              "sandboxes": {"default": {"driver": "bwrap"}, "box": profile}}
    d = he.Daemon(root, config, extra_env).start()
    try:
        calls = [{"name": "bash", "input": {"command": CMD}} for _ in range(N)]
        fake.set_script([{"tool_calls": calls}, {"text": "ok"}])
        work = root / "work"
        work.mkdir()
        leaf_id = d.submit("bench", "--sandbox", "box", "--workdir", work)
        leaf = d.wait_leaf(leaf_id, timeout=300)
        if leaf["state"] != "succeeded":
            raise RuntimeError(f"leaf {leaf['state']}: {leaf.get('message')}")
        ms = [e["data"]["duration_ms"] for e in d.events(leaf_id) if e["type"] == "tool_finished"]
        return statistics.median(ms[1:]), ms[0]
    finally:
        d.stop()


def fresh_ms(prefix, env=None):
    times = []
    for _ in range(N):
        t0 = time.perf_counter()
        r = subprocess.run(prefix + ["sh", "-c", CMD], capture_output=True, env=env, timeout=60)
        times.append((time.perf_counter() - t0) * 1000)
        if r.returncode != 0 or r.stdout != b"x\n":
            raise RuntimeError(f"fresh exec failed: {r.stderr.decode()[-300:]}")
    return statistics.median(times)


def bwrap_prefix(work):
    return ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--bind", str(work), "/workspace",
            "--chdir", "/workspace", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin"]


def setup_bwrap(tmp):
    ok, why = he.bwrap_works()
    if not ok:
        raise SkipDriver(why)
    (tmp / "w").mkdir()
    return {"driver": "bwrap"}, None, bwrap_prefix(tmp / "w"), None, lambda: None


def setup_podman(tmp):
    import test_podman as tp
    if not shutil.which("podman") or not os.path.exists("/bin/busybox"):
        raise SkipDriver("podman or busybox-static not installed")
    tp.build_image(tmp)
    name = f"bench-sandbox-{uuid.uuid4().hex[:8]}"
    r = tp.podman("run", "-d", "--name", name, *tp.ULIMITS, "--network", "none", tp.IMAGE,
                  "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done")
    if r.returncode != 0:
        raise SkipDriver(f"podman --runtime runc run fails: {r.stderr.strip()}")
    profile = {"driver": "podman", "global_args": tp.GLOBAL_ARGS, "container": name}
    prefix = ["podman", *tp.GLOBAL_ARGS, "exec", "-i", name]
    return profile, None, prefix, None, lambda: tp.podman("rm", "-f", name)


def setup_kubectl(tmp):
    state = tmp / "cluster"
    (state / "bin").mkdir(parents=True)
    os.symlink(HERE.parent / "e2e" / "fake_kubectl", state / "bin" / "kubectl")
    (state / "namespace.txt").write_text("agents\n")
    (state / "kubeconfig").write_text("# stand-in\n")
    (state / "pods.txt").write_text("sandbox-0 Running app=sb\n")
    env = {"PATH": f"{state / 'bin'}:{os.environ['PATH']}"}
    profile = {"driver": "kubectl", "namespace": "agents", "pod": "sandbox-0",
               "kubeconfig": str(state / "kubeconfig")}
    prefix = ["kubectl", "--kubeconfig", str(state / "kubeconfig"), "-n", "agents", "exec", "-i",
              "sandbox-0", "--request-timeout=30s", "--"]
    return profile, env, prefix, {**os.environ, **env}, lambda: None


class SkipDriver(Exception):
    pass


def main():
    fake = FakeModel(api_key=he.API_KEY).start()
    rows = []
    try:
        for name, setup in (("bwrap", setup_bwrap), ("podman exec", setup_podman),
                            ("kubectl (stand-in)", setup_kubectl)):
            tmp = Path(tempfile.mkdtemp(prefix="bench-ch-"))
            cleanup = lambda: None  # noqa: E731
            try:
                profile, denv, prefix, fenv, cleanup = setup(tmp)
                persist, first = persistent_ms(tmp / "d", fake, profile, denv)
                fresh = fresh_ms(prefix, fenv)
                rows.append((name, persist, first, fresh))
            except SkipDriver as e:
                print(f"{name}: skipped: {e}")
            finally:
                cleanup()
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        fake.stop()
    print(f"tool round trip, median of {N} calls of `{CMD}` (ms)")
    print(f"{'driver':<20} {'persistent':>10} {'1st call':>9} {'fresh exec':>11} {'ratio':>7}")
    for name, persist, first, fresh in rows:
        ratio = fresh / persist if persist > 0 else float("inf")
        print(f"{name:<20} {persist:>10.1f} {first:>9.0f} {fresh:>11.1f} {ratio:>6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
