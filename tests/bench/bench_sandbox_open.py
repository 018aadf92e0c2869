#!/usr/bin/env python3
"""Opening a bwrap sandbox through the product's path vs a bare `bwrap … true` with the same
namespaces (issue 12: within 5 ms).

tests/bench/sandbox_open.cpp alternates, N times per mode, (open) a fresh Channel over
BwrapDriver's argv with the default profile — pids cgroup for a root daemon, seccomp filter,
bounded tmpfs, the workspace by fd, harness-exec when built — timed from Channel::exec("true")
to its reply, and (bare) `bwrap <the same namespaces> --ro-bind / / /bin/true` to its exit. Both
are spawned by libuv on one loop and timed with CLOCK_MONOTONIC. Modes: `root` (the leaf runs as
the daemon; bwrap makes its user namespace) and, for a root daemon, `account` (dropping to
nobody: a user namespace made for bwrap, harness-exec dropping to the account inside; the bare side unshares the user
namespace itself). Medians in ms; delta = open - bare; `--check` exits 1 when a delta is over
the target. For the breakdown, `argv` is the product's argv with /bin/true in place of the
channel's helper (launcher, bwrap with all its mounts; no account drop, no channel).

Run: python3 tests/bench/bench_sandbox_open.py [--check]
     (env: BENCH_N=40; BENCH_SANDBOX_OPEN, else found beside $HARNESSD's build tree or in ./build)
"""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402

N = int(os.environ.get("BENCH_N", "40"))
TARGET_MS = 5.0


def bench_binary():
    if os.environ.get("BENCH_SANDBOX_OPEN"):
        return os.environ["BENCH_SANDBOX_OPEN"]
    harnessd = os.environ.get("HARNESSD")
    root = Path(harnessd).resolve().parents[2] if harnessd else he.REPO / "build"
    path = root / "tests" / "bench_sandbox_open"
    if not os.access(path, os.X_OK):
        raise SystemExit(f"bench_sandbox_open: no {path}: cmake --build BUILD --target "
                         "bench_sandbox_open harness-exec (or set $BENCH_SANDBOX_OPEN)")
    return str(path)


def p10_of(values):
    return sorted(values)[len(values) // 10]


def main():
    check = "--check" in sys.argv[1:]
    ok, why = he.bwrap_works()
    if not ok:
        print(f"bwrap: skipped: {why}")
        return 0
    r = subprocess.run([bench_binary(), str(N), "root", "account"], capture_output=True,
                       text=True, timeout=900)
    if r.returncode != 0 and not r.stdout:
        raise SystemExit(f"bench_sandbox_open failed: {r.stderr[-500:]}")
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    print(f"opening a bwrap sandbox to the first reply vs bare `bwrap … true`, medians of {N} "
          f"(ms); delta = open - bare, target ≤ {TARGET_MS} ms")
    print(f"{'mode':<8} {'open':>7} {'bare':>7} {'delta':>7} {'p10 delta':>9} {'argv':>7}  verdict")
    missed = []
    for res in rows:
        mode = res["mode"]
        if "skipped" in res:
            print(f"{mode:<8} skipped: {res['skipped']}")
            continue
        if res.get("error") or not res.get("open_us"):
            print(f"{mode:<8} error: {res.get('error', 'no samples')}")
            missed.append(f"{mode}: error")
            continue
        op = statistics.median(res["open_us"]) / 1000
        ba = statistics.median(res["bare_us"]) / 1000
        delta = op - ba
        p10 = (p10_of(res["open_us"]) - p10_of(res["bare_us"])) / 1000
        verdict = "ok" if delta <= TARGET_MS else "MISSED"
        if delta > TARGET_MS:
            missed.append(f"{mode}: {delta:.2f} ms")
        av = statistics.median(res["argv_us"]) / 1000 if res.get("argv_us") else float("nan")
        print(f"{mode:<8} {op:>7.2f} {ba:>7.2f} {delta:>7.2f} {p10:>9.2f} {av:>7.2f}  {verdict}")
    if missed:
        print("targets missed: " + "; ".join(missed))
    return 1 if check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
