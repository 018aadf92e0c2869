#!/usr/bin/env python3
"""Parked leaves cost only their rows (issue #3): the daemon's RSS and open file descriptors with
10 leaves waiting at gates, then with 1,000, in the same run. Each leaf's first tool call is
matched `ask` by the policy, so it parks in awaiting_approval with no process and no channel.

Run: python3 tests/bench/bench_gates.py  (env: HARNESSD, HARNESSCTL, BENCH_PARKED=1000).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402

MANY = int(os.environ.get("BENCH_PARKED", "1000"))
FEW = 10


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def park(daemon, count):
    for _ in range(count):
        r = daemon.submit_api({"prompt": "push it"})
        assert r.status == 201, r
    he.wait_until(lambda: len(daemon.request("GET", "/v1/leaves?state=awaiting_approval&limit=1000")
                              .json["leaves"]) >= count_so_far[0] + count,
                  timeout=600, interval=0.5, what=f"{count} more leaves parked")
    count_so_far[0] += count


count_so_far = [0]


def main():
    with tempfile.TemporaryDirectory(prefix="bench-gates-") as tmp:
        root = Path(tmp)
        replay = he.write_replay(root / "replay.json", [
            {"tool_calls": [{"name": "bash", "input": {"command": "git push origin main"}}]},
            {"text": "done"},
        ])
        config = {
            "max_running": 64,
            "models": {"default": he.replay_model(replay)},
            "sandboxes": {"default": {"driver": "bwrap", "network": False}},
            "policies": {"default": {"ask": ["bash:git push*"]}},
        }
        daemon = he.Daemon(root / "d", config)
        daemon.start()
        try:
            pid = daemon.proc.pid
            park(daemon, FEW)
            time.sleep(1)
            few_rss, few_fds = rss_kib(pid), fds(pid)
            t = time.monotonic()
            park(daemon, MANY - FEW)
            took = time.monotonic() - t
            time.sleep(1)
            many_rss, many_fds = rss_kib(pid), fds(pid)
            approvals = daemon.request("GET", "/v1/approvals").json["approvals"]
        finally:
            daemon.stop()
    print(f"parked {FEW:>5}: RSS {few_rss / 1024:7.1f} MiB, open fds {few_fds}")
    print(f"parked {MANY:>5}: RSS {many_rss / 1024:7.1f} MiB, open fds {many_fds}  "
          f"({MANY - FEW} parked in {took:.1f} s; approvals lists {len(approvals)})")
    print(f"ratio RSS {many_rss / few_rss:.2f}x, fds {many_fds / few_fds:.2f}x "
          f"(per parked leaf: {(many_rss - few_rss) / (MANY - FEW):.1f} KiB)")
    ok = many_fds <= few_fds + 4 and len(approvals) == MANY
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
