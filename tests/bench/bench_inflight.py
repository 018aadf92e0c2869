#!/usr/bin/env python3
"""Thousands of leaves in flight in one daemon (SPEC §12, issue #12): BENCH_INFLIGHT leaves
(default 10,000) submitted at once, each taking 3 model turns that wait LATENCY (1 s) apiece on
a fake model that holds every connection open (async_model.py, one asyncio loop). The first two
turns ask for `bash`, which the policy denies, so the leaves run no tools and open no sandbox:
what is measured is the daemon's cost per waiting leaf. The ideal wall time is the submission
time plus 3 × LATENCY; the daemon's peak RSS and open fds come from /proc.

Targets: every leaf succeeds, peak RSS < 512 MiB, wall <= 1.5 × ideal. `--check` exits 1 when
one is missed (otherwise only a failed leaf does).

Run: python3 tests/bench/bench_inflight.py [--check]
     (env: HARNESSD, HARNESSCTL, BENCH_INFLIGHT=10000, BENCH_LATENCY=1.0, BENCH_SUBMITTERS=8)
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402

N = int(os.environ.get("BENCH_INFLIGHT", "10000"))
LATENCY = float(os.environ.get("BENCH_LATENCY", "1.0"))
SUBMITTERS = int(os.environ.get("BENCH_SUBMITTERS", "8"))
TURNS = 3
RSS_LIMIT_MIB = 512
TERMINAL = ("succeeded", "failed", "rejected", "cancelled")


def proc_status(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    """Samples the daemon's open fds every 100 ms (VmHWM gives the peak RSS at the end)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_fds, self.stop = pid, 0, threading.Event()

    def run(self):
        while not self.stop.wait(0.1):
            try:
                self.peak_fds = max(self.peak_fds, len(os.listdir(f"/proc/{self.pid}/fd")))
            except OSError:
                return


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_model(root):
    port_file = root / "model.port"
    he.harnessd_path()  # fail before starting anything when there is no harnessd
    proc = subprocess.Popen([sys.executable, str(HERE / "async_model.py"), str(port_file), str(LATENCY)],
                            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    he.wait_until(lambda: port_file.exists() and port_file.read_text(), 10, what="the fake model")
    return proc, int(port_file.read_text())


def stop_model(proc):
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


def submit_range(args):
    """One submitter process (no GIL shared with the others): POST /v1/leaves for its indexes."""
    sock, indexes = args
    for i in indexes:
        r = he.unix_request(sock, "POST", "/v1/leaves", {"prompt": f"inflight {i}"}, timeout=120)
        if r.status != 201:
            raise RuntimeError(f"submit {i}: {r}")


def finished_count(d):
    """harness_leaves_finished_total summed over its labels."""
    r = d.request("GET", "/metrics", timeout=120)
    return sum(float(line.rsplit(" ", 1)[1]) for line in r.raw.decode().splitlines()
               if line.startswith("harness_leaves_finished_total{"))


def all_leaves(d):
    """Every leaf, paging through GET /v1/leaves 1,000 at a time."""
    leaves, cursor = [], ""
    while True:
        r = d.request("GET", "/v1/leaves?limit=1000" + (f"&cursor={cursor}" if cursor else ""), timeout=120)
        leaves += r.json["leaves"]
        cursor = r.json.get("next_cursor") or ""
        if not cursor:
            return leaves


def main():
    check = "--check" in sys.argv[1:]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by harnessd and the model
    if hard < N + 1000:
        print(f"bench_inflight: the hard fd limit {hard} is too low for {N} leaves in flight", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-inflight-") as tmp:
        root = Path(tmp)
        model, port = start_model(root)
        d = he.Daemon(root / "d", {
            "max_running": N,
            "max_connections": N + 1000,
            "models": {"default": {"provider": "anthropic", "base_url": f"http://127.0.0.1:{port}",
                                   "model": "claude-fake", "api_key_env": he.API_KEY_ENV,
                                   "max_tokens": 1024}},
            "sandboxes": {"default": {"driver": "bwrap", "network": False}},
            "policies": {"default": {"deny": ["bash"]}},
        })
        d.argv = lambda: [he.harnessd_path(), "--config", str(d.config_path), "--state-dir", str(d.state_dir),
                          "--socket", str(d.socket), "--foreground", "--log-level", "info"]
        d.start()
        sampler = Sampler(d.proc.pid)
        sampler.start()
        stats = {}
        try:
            t0 = time.monotonic()
            cpu0 = cpu_seconds(d.proc.pid)

            chunks = [(str(d.socket), range(i, N, SUBMITTERS)) for i in range(SUBMITTERS)]
            with ProcessPoolExecutor(max_workers=SUBMITTERS) as pool:
                list(pool.map(submit_range, chunks))
            submitted = time.monotonic() - t0
            submit_cpu = cpu_seconds(d.proc.pid) - cpu0
            # Done when every leaf is terminal. Polled through /metrics (one counter), not by
            # listing every leaf: a listing of N leaves five times a second would be most of the
            # daemon's CPU and not what a waiting leaf costs.
            deadline = time.monotonic() + 60 + 10 * TURNS * LATENCY + submitted
            while time.monotonic() < deadline and finished_count(d) < N:
                time.sleep(0.2)
            wall = time.monotonic() - t0
            rss_peak_kib = proc_status(d.proc.pid, "VmHWM")
            total_cpu = cpu_seconds(d.proc.pid) - cpu0
            leaves = all_leaves(d)
        finally:
            sampler.stop.set()
            d.stop(timeout=120)
            stats = stop_model(model)
    ok = len(leaves) == N and all(l["state"] == "succeeded" for l in leaves)
    states = {}
    for l in leaves:
        states[l["state"]] = states.get(l["state"], 0) + 1
    ideal = submitted + TURNS * LATENCY
    rss_mib = rss_peak_kib / 1024
    print(f"leaves in flight: {N} x {TURNS} turns, model latency {LATENCY:.1f} s, no tools")
    print(f"submission      : {submitted:7.2f} s ({N / submitted:,.0f} leaves/s, {SUBMITTERS} submitters), "
          f"daemon CPU {submit_cpu:.2f} s ({1000 * submit_cpu / N:.2f} ms per submit)")
    print(f"wall            : {wall:7.2f} s  ideal {ideal:.2f} s  ratio {wall / ideal:.2f}  (goal <= 1.50)")
    print(f"daemon peak RSS : {rss_mib:7.1f} MiB ({rss_peak_kib / N:.1f} KiB per leaf)  (goal < {RSS_LIMIT_MIB})")
    print(f"daemon peak fds : {sampler.peak_fds}")
    print(f"daemon CPU      : {total_cpu:7.2f} s in all ({1000 * total_cpu / N:.2f} ms per leaf)")
    print(f"fake model      : {stats}")
    print(f"states          : {states}")
    missed = []
    if not ok:
        missed.append("not every leaf succeeded")
    if rss_mib >= RSS_LIMIT_MIB:
        missed.append("peak RSS")
    if wall > 1.5 * ideal:
        missed.append("wall time")
    if missed:
        print("missed: " + ", ".join(missed))
    return 1 if (not ok or (check and missed)) else 0


if __name__ == "__main__":
    sys.exit(main())
