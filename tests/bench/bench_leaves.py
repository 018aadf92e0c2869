#!/usr/bin/env python3
"""Harness overhead per leaf against the physical floor (SPEC §12, issue 12): the peer kit's
three-turn leaf (bash `echo hello > out.txt`, bash `cat out.txt`, the answer `done`) played by
the kit's scripted mock model (`../shared/bench/mockllm.py`, zero latency), run by
  floor    `bash ../shared/bench/floor.sh BASE_URL`: bash, one curl per model turn, one
           `sh -c` per tool call, no sandbox (the kit's floor)
  harness  `harnessctl run --workdir DIR PROMPT` against ONE harnessd started before the runs
           (anthropic profile at the same mock, bwrap sandbox without network,
           max_running >= the concurrency), as the kit's peers.sh and throughput.sh run it.
Every leaf gets its own fresh empty work dir as its cwd and a clean environment.

Two phases, both runners measured in the same run:
  sequential  one warm-up leaf each, then BENCH_WARM rounds of one leaf per runner (the order
              alternates per round); median wall per leaf; target harness <= 1.2 x floor.
  throughput  BENCH_N leaves at BENCH_CONCURRENCY (a pool of that many workers, like the kit's
              `xargs -P`), BENCH_ROUNDS rounds alternating which runner goes first; leaves/s
              of the median round; target harness >= 1.1 x floor.
A leaf counts as ok when it exited 0, printed `done`, its out.txt says hello, and the mock
saw 3 requests, 2 tool calls and 1 answer per leaf. Also printed: the daemon's store write
transactions and commits (fsyncs) per leaf over every leaf it ran, from its log when the store
closes (a debug line: the daemon runs at --log-level debug, about ten short lines per leaf).
No network namespace here (the kit's scripts add one); the mock listens on loopback only.

Run: python3 tests/bench/bench_leaves.py [--check]
     (env: HARNESSD, HARNESSCTL (default build/apps/...), BENCH_WARM=10, BENCH_N=50,
     BENCH_CONCURRENCY=8, BENCH_ROUNDS=3, BENCH_KIT (default: ../shared/bench beside the repo))
Exit 1 if a leaf failed; with --check also if a target is missed.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402

WARM = int(os.environ.get("BENCH_WARM", "10"))
N = int(os.environ.get("BENCH_N", "50"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
KIT = Path(os.environ.get("BENCH_KIT") or HERE.parent.parent.parent / "shared" / "bench")
PROMPT = "Run the scripted steps."
SEQ_TARGET = 1.2  # harness wall per leaf <= 1.2 x the floor's
TPUT_TARGET = 1.1  # harness leaves/s >= 1.1 x the floor's
RUNNERS = ("floor", "harness")


# ---------------------------------------------------------------- the mock


class Mock:
    """The kit's mockllm.py on a free loopback port, with the kit's three-turn script."""

    def __init__(self, root):
        port_file = root / "mock.port"
        self.err = open(root / "mock.err", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(KIT / "mockllm.py"), "--script", str(KIT / "scripts" / "three-turn.json"),
             "--port", "0", "--port-file", str(port_file), "--latency-ms", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.err)
        deadline = time.monotonic() + 10
        while not (port_file.exists() and port_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"bench_leaves: the mock did not start:\n{(root / 'mock.err').read_text()}")
            time.sleep(0.02)
        self.base = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.base + "/_mock/reset", data=b"", method="POST"),
                               timeout=5).read()

    def stats(self):
        with urllib.request.urlopen(self.base + "/_mock/stats", timeout=5) as r:
            return json.loads(r.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.err.close()


def stats_ok(s, leaves):
    return (s["requests"] == 3 * leaves and s["tool_calls"] == 2 * leaves
            and s["final_answers"] == leaves and s["errors"] == 0)


# ---------------------------------------------------------------- the runners


class Runners:
    def __init__(self, root, mock, daemon):
        self.root, self.mock, self.daemon = root, mock, daemon
        self.count = {r: 0 for r in RUNNERS}
        home = root / "home"
        home.mkdir()
        # the clean environment every runner gets (the kit's ENVB)
        self.env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
                    "TERM": "dumb", "USER": os.environ.get("USER", "root"), "SHELL": "/bin/bash"}

    def fresh_dir(self, runner):
        self.count[runner] += 1
        d = self.root / runner / str(self.count[runner])
        d.mkdir(parents=True)
        return d

    def argv(self, runner, workdir):
        if runner == "floor":
            return ["bash", str(KIT / "floor.sh"), self.mock.base]
        return [he.harnessctl_path(), "--socket", str(self.daemon.socket), "--no-color", "run",
                "--workdir", str(workdir), PROMPT]

    def leaf(self, runner):
        """Runs one leaf in a fresh work dir; returns (wall seconds, ok, why-not)."""
        d = self.fresh_dir(runner)
        t = time.monotonic()
        try:
            p = subprocess.run(self.argv(runner, d), cwd=d, env=self.env, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, errors="replace", timeout=300)
        except subprocess.TimeoutExpired:
            return time.monotonic() - t, False, f"{runner} leaf in {d}: still running after 300 s"
        wall = time.monotonic() - t
        try:
            tool = (d / "out.txt").read_text().strip() == "hello"
        except OSError:
            tool = False
        ok = p.returncode == 0 and "done" in p.stdout and tool
        why = "" if ok else f"{runner} leaf in {d}: exit {p.returncode}, tool ran {tool}, " \
                            f"stdout {p.stdout[-200:]!r}, stderr {p.stderr[-400:]!r}"
        return wall, ok, why


# ---------------------------------------------------------------- the phases


def sequential(run, failures):
    """One warm-up leaf each, then WARM rounds of one leaf per runner, alternating who goes first."""
    walls = {r: [] for r in RUNNERS}
    for r in RUNNERS:
        run.mock.reset()
        _, ok, why = run.leaf(r)
        if not ok or not stats_ok(run.mock.stats(), 1):
            failures.append(f"warm-up: {why or 'the mock did not see one 3-turn leaf'}")
    for i in range(WARM):
        for r in (RUNNERS if i % 2 == 0 else RUNNERS[::-1]):
            run.mock.reset()
            wall, ok, why = run.leaf(r)
            if not ok or not stats_ok(run.mock.stats(), 1):
                failures.append(f"sequential: {why or r + ': the mock did not see one 3-turn leaf'}")
            walls[r].append(wall)
    return walls


def batch(run, runner, failures):
    """N leaves at CONCURRENCY; returns leaves/s."""
    run.mock.reset()
    t = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        results = list(pool.map(lambda _: run.leaf(runner), range(N)))
    wall = time.monotonic() - t
    failures += [f"throughput: {why}" for _, ok, why in results if not ok]
    s = run.mock.stats()
    if not stats_ok(s, N):
        failures.append(f"throughput: {runner}: the mock saw {s['requests']} requests, {s['tool_calls']} "
                        f"tool calls, {s['final_answers']} answers, {s['errors']} errors for {N} leaves")
    return N / wall


def throughput(run, failures):
    rates = {r: [] for r in RUNNERS}
    for i in range(ROUNDS):
        for r in (RUNNERS if i % 2 == 0 else RUNNERS[::-1]):
            rates[r].append(batch(run, r, failures))
    return rates


# ---------------------------------------------------------------- report


def store_writes(log, leaves):
    """The daemon's count of store write transactions and of the commits (fsyncs) that carried
    them, logged when the store closes: group commit makes the second smaller."""
    m = re.search(r"(\d+) write transactions in (\d+) commits", log)
    if not m:
        return "store writes  : not reported by this harnessd"
    tx, commits = int(m.group(1)), int(m.group(2))
    return (f"store writes  : {tx} transactions in {commits} commits over {leaves} leaves: "
            f"{tx / leaves:.1f} writes and {commits / leaves:.1f} fsyncs per leaf")


def report(walls, rates):
    med = {r: statistics.median(walls[r]) * 1000 for r in RUNNERS}
    rate = {r: statistics.median(rates[r]) for r in RUNNERS}
    seq_ratio = med["harness"] / med["floor"]
    tput_ratio = rate["harness"] / rate["floor"]
    print(f"three-turn leaf (2 bash calls + answer), kit mock at 0 ms latency, kit at {KIT}")
    print(f"| runner | wall/leaf sequential, median of {WARM} (min-max) | leaves/s, {N} at concurrency "
          f"{CONCURRENCY} (median of {ROUNDS}) |")
    print("|---|---|---|")
    for r in RUNNERS:
        w = [x * 1000 for x in walls[r]]
        print(f"| {r} | {med[r]:.0f} ms ({min(w):.0f}-{max(w):.0f}) | {rate[r]:.1f} |")
    seq_ok, tput_ok = seq_ratio <= SEQ_TARGET, tput_ratio >= TPUT_TARGET
    print(f"sequential ratio harness/floor (wall): {seq_ratio:.2f}  (target <= {SEQ_TARGET}: "
          f"{'met' if seq_ok else 'MISSED'})")
    print(f"throughput ratio harness/floor (leaves/s): {tput_ratio:.2f}  (target >= {TPUT_TARGET}: "
          f"{'met' if tput_ok else 'MISSED'})")
    return seq_ok and tput_ok


def main():
    check = "--check" in sys.argv[1:]
    ok, why = he.bwrap_works()
    if not ok:
        print(f"bench_leaves: skipped, bubblewrap cannot run here: {why}")
        return 0
    if not (KIT / "floor.sh").is_file() or not (KIT / "mockllm.py").is_file():
        print(f"bench_leaves: the peer benchmark kit is missing at {KIT} (floor.sh, mockllm.py): it lives in "
              "../shared/bench beside the repository; set BENCH_KIT=DIR to point elsewhere", file=sys.stderr)
        return 1
    try:
        he.harnessd_path(), he.harnessctl_path()
    except RuntimeError as e:
        print(f"bench_leaves: {e}", file=sys.stderr)
        return 1
    failures = []
    with tempfile.TemporaryDirectory(prefix="bench-leaves-") as tmp:
        root = Path(tmp)
        mock = Mock(root)
        d = he.Daemon(root / "daemon", {
            "max_running": max(CONCURRENCY, 8),
            "models": {"default": {"provider": "anthropic", "base_url": mock.base, "model": "mock-model",
                                   "api_key_env": he.API_KEY_ENV}},
            "sandboxes": {"default": {"driver": "bwrap", "network": False}}})
        d.cwd = root / "daemon"
        run = Runners(root, mock, d)
        try:
            d.start()
            walls = sequential(run, failures)
            rates = throughput(run, failures)
        finally:
            d.stop()
            mock.stop()
        writes = store_writes(d.log_text(), run.count["harness"])
        if failures:
            print(d.log_tail(30), file=sys.stderr)
    met = report(walls, rates)
    print(writes)
    for f in failures[:5]:
        print(f"FAILED {f}", file=sys.stderr)
    if failures:
        print(f"bench_leaves: {len(failures)} leaf failures", file=sys.stderr)
        return 1
    return 1 if check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
