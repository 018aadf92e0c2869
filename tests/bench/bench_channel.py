#!/usr/bin/env python3
"""Tool round trip through the persistent channel vs the same command run directly inside the
same sandbox (SPEC §12: within 1.5 ms, on every driver).

For each driver this machine can run, tests/bench/channel_rtt.cpp opens one sandbox per channel
protocol and, in alternating rounds of 10, times `echo x` through the real Channel
(Channel::exec to its callback) and `/bin/sh -c 'echo x'` run directly inside that very sandbox
by tests/bench/direct_exec.c (fork, exec, read stdout to EOF, wait). Both sides read
CLOCK_MONOTONIC, which sandboxes share with the host. Medians in µs; delta = channel - direct.
On a busy machine both sides have a heavy tail (a preempted run costs milliseconds), so the
delta of the 10th percentiles is printed too: the cost without the machine's noise.

bwrap is measured over both protocols: harness-exec (what it uses) and the POSIX sh protocol
(the fallback, for reference). Podman/docker with `image` (a container per leaf, harness-exec
bound in) over harness-exec; with `container` (exec into an existing one) and kubectl over both:
harness-exec copied in (what they use where it can run) and the sh protocol (their fallback).
The target applies to each driver's own protocol; `--check` exits 1 when one misses it. The
kubectl figures use the stand-in tests/e2e/fake_kubectl (a python3 script + bwrap): no cluster.

Run: python3 tests/bench/bench_channel.py [--check]
     (env: BENCH_N=100; BENCH_CHANNEL_RTT, BENCH_DIRECT_EXEC, else found beside $HARNESSD's
     build tree or in ./build)
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402

N = int(os.environ.get("BENCH_N", "100"))
TARGET_MS = 1.5


def build_file(env_name, rel):
    if os.environ.get(env_name):
        return os.environ[env_name]
    harnessd = os.environ.get("HARNESSD")
    root = Path(harnessd).resolve().parents[2] if harnessd else he.REPO / "build"
    path = root / rel
    if not os.access(path, os.X_OK):
        raise SystemExit(f"bench_channel: no {path}: cmake --build BUILD --target "
                         f"bench_channel_rtt bench_direct_exec harness-exec (or set ${env_name})")
    return str(path)


class SkipDriver(Exception):
    pass


def setup_bwrap(tmp):
    ok, why = he.bwrap_works()
    if not ok:
        raise SkipDriver(why)
    return {"driver": "bwrap"}, None, ["exec", "sh"], lambda: None


def podman_image(tmp):
    import test_podman as tp
    if not shutil.which("podman") or not os.path.exists("/bin/busybox"):
        raise SkipDriver("podman or busybox-static not installed")
    tp.build_image(tmp)
    return tp


def setup_podman_image(tmp):
    tp = podman_image(tmp)
    profile = {"driver": "podman", "global_args": tp.GLOBAL_ARGS, "image": tp.IMAGE,
               "create_args": tp.ULIMITS, "memory_mb": 256, "pids_max": 64}
    return profile, None, ["exec", "sh"], lambda: None


def setup_podman(tmp):
    tp = podman_image(tmp)
    name = f"bench-sandbox-{uuid.uuid4().hex[:8]}"
    r = tp.podman("run", "-d", "--name", name, *tp.ULIMITS, "--network", "none", tp.IMAGE,
                  "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done")
    if r.returncode != 0:
        raise SkipDriver(f"podman --runtime runc run fails: {r.stderr.strip()}")
    profile = {"driver": "podman", "global_args": tp.GLOBAL_ARGS, "container": name}
    return profile, None, ["exec", "sh"], lambda: tp.podman("rm", "-f", name)


def setup_kubectl(tmp):
    state = tmp / "cluster"
    (state / "bin").mkdir(parents=True)
    os.symlink(HERE.parent / "e2e" / "fake_kubectl", state / "bin" / "kubectl")
    (state / "namespace.txt").write_text("agents\n")
    (state / "kubeconfig").write_text("# stand-in\n")
    (state / "pods.txt").write_text("sandbox-0 Running app=sb\n")
    env = {**os.environ, "PATH": f"{state / 'bin'}:{os.environ['PATH']}"}
    profile = {"driver": "kubectl", "namespace": "agents", "pod": "sandbox-0",
               "kubeconfig": str(state / "kubeconfig")}
    return profile, env, ["exec", "sh"], lambda: None


def p10_of(values):
    return sorted(values)[len(values) // 10]


def measure(tmp, profile, env, protocols, rtt, direct):
    conf = tmp / "harnessd.toml"
    conf.write_text(he.to_toml({"sandboxes": {"default": {"driver": "bwrap"}, "box": profile}}))
    r = subprocess.run([rtt, str(conf), "box", str(N), direct, *protocols], capture_output=True,
                       text=True, env=env, timeout=900)
    if r.returncode != 0 and not r.stdout:
        raise RuntimeError(f"bench_channel_rtt failed: {r.stderr[-500:]}")
    # Lines of the daemon code's log (spdlog writes to stdout) are not results.
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


def main():
    check = "--check" in sys.argv[1:]
    rtt = build_file("BENCH_CHANNEL_RTT", "tests/bench_channel_rtt")
    direct = build_file("BENCH_DIRECT_EXEC", "tests/bench_direct_exec")
    rows, missed = [], []
    for name, setup in (("bwrap", setup_bwrap), ("podman image", setup_podman_image),
                        ("podman container", setup_podman), ("kubectl (stand-in)", setup_kubectl)):
        tmp = Path(tempfile.mkdtemp(prefix="bench-ch-"))
        cleanup = lambda: None  # noqa: E731
        try:
            profile, env, protocols, cleanup = setup(tmp)
            for res in measure(tmp, profile, env, protocols, rtt, direct):
                res["name"] = name
                rows.append(res)
        except SkipDriver as e:
            print(f"{name}: skipped: {e}")
        finally:
            cleanup()
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"tool round trip of `echo x`, medians of {N} (µs); delta = channel - direct (ms), "
          f"target ≤ {TARGET_MS} ms on each driver's own protocol")
    print(f"{'driver':<20} {'protocol':<13} {'channel':>8} {'direct':>8} {'delta ms':>9} "
          f"{'p10 delta':>9} {'1st call ms':>11}  verdict")
    own = {}
    for res in rows:  # a driver's own protocol is the first one it could speak
        if "skipped" not in res:
            own.setdefault(res["name"], res["protocol"])
    for res in rows:
        name, proto = res["name"], res["protocol"]
        if "skipped" in res:
            continue
        if res.get("error") or not res.get("channel_us") or not res.get("direct_us"):
            print(f"{name:<20} {proto:<13} error: {res.get('error', 'no samples')}")
            missed.append(f"{name}/{proto}: error")
            continue
        ch = statistics.median(res["channel_us"])
        di = statistics.median(res["direct_us"])
        delta = (ch - di) / 1000
        p10 = (p10_of(res["channel_us"]) - p10_of(res["direct_us"])) / 1000
        checked = own[name] == proto
        verdict = ("ok" if delta <= TARGET_MS else "MISSED") if checked else "(fallback, not checked)"
        if checked and delta > TARGET_MS:
            missed.append(f"{name}/{proto}: {delta:.2f} ms")
        print(f"{name:<20} {proto:<13} {ch:>8.0f} {di:>8.0f} {delta:>9.2f} {p10:>9.2f} "
              f"{res['first_call_us'] / 1000:>11.1f}  {verdict}")
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 1 if check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
