#!/usr/bin/env python3
"""SQLite vs Redis, same run. (1) Store appends: harness_store_bench (tests/bench/
store_bench.cpp) on SQLite (synchronous=FULL, the default), on Redis with AOF
`appendfsync everysec` and with `appendfsync always`: p50/p99 append latency and appends/s.
(2) Whole leaves: N three-turn leaves (two bash calls) at zero model latency through one
harnessd on SQLite, one on Redis, and three on one Redis (submitted round-robin): leaves/s. Redis runs on 127.0.0.1 in a temp dir, started here.

Run: python3 tests/bench/bench_store.py  (env: HARNESSD, HARNESSCTL, HARNESS_STORE_BENCH,
BENCH_N=40 leaves, BENCH_CONCURRENCY=8, BENCH_APPEND_LEAVES=200, BENCH_APPEND_EVENTS=10).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402
import redis_server  # noqa: E402
from fake_model import FakeModel  # noqa: E402

N = int(os.environ.get("BENCH_N", "40"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
APPEND_LEAVES = os.environ.get("BENCH_APPEND_LEAVES", "200")
APPEND_EVENTS = os.environ.get("BENCH_APPEND_EVENTS", "10")
SCRIPT = [
    {"tool_calls": [{"name": "bash", "input": {"command": "echo hello > out.txt"}}]},
    {"tool_calls": [{"name": "bash", "input": {"command": "cat out.txt"}}]},
    {"text": "The file says hello."},
]


def store_bench_path():
    path = os.environ.get("HARNESS_STORE_BENCH") or str(he.REPO / "build" / "tests" / "harness_store_bench")
    if not os.access(path, os.X_OK):
        raise SystemExit(f"bench_store: no harness_store_bench at {path} (build it, or set $HARNESS_STORE_BENCH)")
    return path


def appends(url):
    p = subprocess.run([store_bench_path(), url, APPEND_LEAVES, APPEND_EVENTS, str(CONCURRENCY)],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit(f"harness_store_bench {url} failed: {p.stderr}")
    return json.loads(p.stdout)


def leaves_per_s(fake, root, store, daemons=1):
    """N leaves submitted round-robin through `daemons` harnessd on `store` (default SQLite):
    (leaves/s, all succeeded, leaves run per node)."""
    ds = []
    for k in range(daemons):
        config = {"max_running": CONCURRENCY, "models": {"default": he.anthropic_model(fake)},
                  "sandboxes": {"default": {"driver": "bwrap", "network": False}}, "node": f"bench{k}"}
        if store:
            config["store"] = store
        ds.append(he.Daemon(root / f"d{k}", config).start())
    try:
        dirs = [root / f"w{i}" for i in range(N)]
        for w in dirs:
            w.mkdir()
        fake.set_script(SCRIPT)
        t = time.monotonic()
        ids = [(ds[i % daemons], ds[i % daemons].submit_api({"prompt": f"bench {i}", "workdir": str(dirs[i])}).json["id"])
               for i in range(N)]
        done = [d.wait_leaf(i, timeout=600) for d, i in ids]
        rate = N / (time.monotonic() - t)
        nodes = {}
        for leaf in done:
            nodes[leaf.get("node")] = nodes.get(leaf.get("node"), 0) + 1
        return rate, all(x["state"] == "succeeded" for x in done), nodes
    finally:
        for d in ds:
            d.stop()


def main():
    if not redis_server.binary():
        print("bench_store: skipped, redis-server is not installed")
        return 0
    ok, why = he.bwrap_works()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        root = Path(tmp)
        r = redis_server.RedisServer(root / "redis").start()
        try:
            rows = [("sqlite (synchronous=FULL)", appends(f"sqlite:{root}/bench.db"))]
            rows.append(("redis (appendfsync everysec)", appends(r.url(1))))
            r.cli("CONFIG", "SET", "appendfsync", "always")
            rows.append(("redis (appendfsync always)", appends(r.url(2))))
            r.cli("CONFIG", "SET", "appendfsync", "everysec")
            print(f"store appends: {APPEND_LEAVES} leaves x {APPEND_EVENTS} appends of ~1 KiB, "
                  f"{CONCURRENCY} leaves at a time, one append in flight per leaf")
            for name, a in rows:
                print(f"  {name:30} p50 {a['p50_us']:6d} us  p99 {a['p99_us']:6d} us  "
                      f"max {a['max_us']:6d} us  {a['appends_per_s']:8.0f} appends/s")
            if not ok:
                print(f"leaves: skipped, bubblewrap cannot run here: {why}")
                return 0
            fake = FakeModel(api_key=he.API_KEY).start()
            try:
                sq, sq_ok, _ = leaves_per_s(fake, root / "d-sqlite", None)
                rd, rd_ok, _ = leaves_per_s(fake, root / "d-redis", r.url(3))
                r3, r3_ok, nodes = leaves_per_s(fake, root / "d-redis3", r.url(4), daemons=3)
            finally:
                fake.stop()
            print(f"leaves: {N} x 3 turns (2 bash calls), max_running {CONCURRENCY} per daemon, "
                  f"model latency 0, all on this host ({os.cpu_count()} CPUs)")
            print(f"  sqlite, 1 daemon  : {sq:7.2f} leaves/s  ok={sq_ok}")
            print(f"  redis, 1 daemon   : {rd:7.2f} leaves/s  ok={rd_ok}   (time per leaf redis/sqlite: "
                  f"{sq / rd:.2f}; aim <= 1.2)")
            print(f"  redis, 3 daemons  : {r3:7.2f} leaves/s  ok={r3_ok}   leaves per node: "
                  f"{dict(sorted(nodes.items()))}")
            return 0 if sq_ok and rd_ok and r3_ok else 1
        finally:
            r.stop()


if __name__ == "__main__":
    sys.exit(main())
