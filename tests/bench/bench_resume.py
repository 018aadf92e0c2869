#!/usr/bin/env python3
"""Resuming a long session (SPEC §12, issue #12): the time from `POST /v1/sessions/{id}/leaves`
to the first byte of the resumed leaf's first model request, for a session of BENCH_EVENTS
events (default 5,000) and, as the baseline in the same run, for a session of one short leaf.
The long session is made by one leaf whose model asks for `bash` turn after turn (the policy
denies it, so no sandbox runs) and then answers.

Target: under 10 ms for the long session on a warm daemon (its history cache holds the session,
docs/performance.md). `--check` exits 1 when it is missed. For the record it also times the cold
case, BENCH_COLD_RUNS resumes each right after a daemon restart (the whole log is read); that
figure has no target.

Run: python3 tests/bench/bench_resume.py [--check]
     (env: HARNESSD, BENCH_EVENTS=5000, BENCH_RUNS=10, BENCH_COLD_RUNS=3)
"""

import statistics
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
import harness_env as he  # noqa: E402
from fake_model import FakeModel  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
RUNS = int(os.environ.get("BENCH_RUNS", "10"))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "3"))
TARGET_MS = 10.0


def make_session(d, fake, tag, turns):
    """A finished leaf of `turns` denied bash calls and an answer; returns (session, last seq)."""
    fake.add_script(tag, [{"tool_calls": [{"name": "bash", "input": {"command": f"echo {i}"}}]}
                          for i in range(turns)] + [{"text": "done"}],
                    default={"text": "resumed"})
    r = d.submit_api({"prompt": tag, "max_turns": turns + 1})
    assert r.status == 201, r
    leaf = d.wait_leaf(r.json["id"], timeout=600)
    assert leaf["state"] == "succeeded", leaf
    return leaf["session"], leaf["last_seq"]


def time_resume(d, fake, session, tag):
    """Milliseconds from the resume request to the fake model seeing its first request."""
    before = len(fake.requests)
    t0 = time.time()
    r = d.request("POST", f"/v1/sessions/{session}/leaves", {"prompt": f"{tag} again"})
    assert r.status == 201, r
    assert fake.wait_for(lambda f: len(f.requests) > before, timeout=60)
    ms = (fake.requests[before]["started"] - t0) * 1000
    leaf = d.wait_leaf(r.json["id"], timeout=120)
    assert leaf["state"] == "succeeded", leaf
    return ms


def main():
    check = "--check" in sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as tmp:
        root = Path(tmp)
        fake = FakeModel(api_key=he.API_KEY, default={"text": "resumed"}).start()
        d = he.Daemon(root / "d", {
            "models": {"default": he.anthropic_model(fake)},
            "sandboxes": {"default": {"driver": "bwrap", "network": False}},
            "policies": {"default": {"deny": ["bash"]}},
        })
        d.argv = lambda: [he.harnessd_path(), "--config", str(d.config_path), "--state-dir", str(d.state_dir),
                          "--socket", str(d.socket), "--foreground", "--log-level", "info"]
        d.start()
        try:
            # Each denied turn writes a few events: measure how many, to reach EVENTS.
            short, short_seq = make_session(d, fake, "short-session", 1)
            _, three_seq = make_session(d, fake, "three-turns", 3)
            per_turn = max(1, (three_seq - short_seq) // 2)
            long, long_seq = make_session(d, fake, "long-session", max(1, (EVENTS - short_seq) // per_turn + 1))
            short_ms = [time_resume(d, fake, short, "short-session") for _ in range(RUNS)]
            long_ms = [time_resume(d, fake, long, "long-session") for _ in range(RUNS)]
            cold_ms = []
            for _ in range(COLD_RUNS):
                d.restart()
                cold_ms.append(time_resume(d, fake, long, "long-session"))
        finally:
            d.stop()
            fake.stop()
    s_med, l_med = statistics.median(short_ms), statistics.median(long_ms)
    print(f"resume to first model request, median of {RUNS} (the session grows by each resume):")
    print(f"  baseline, session of {short_seq:5d} events: {s_med:7.2f} ms  (max {max(short_ms):.2f})")
    print(f"  long session of   {long_seq:5d} events: {l_med:7.2f} ms  (max {max(long_ms):.2f})  "
          f"ratio {l_med / s_med:.2f}  (goal < {TARGET_MS:.0f} ms)")
    if cold_ms:
        print(f"  cold, first resume after a restart (whole log read), median of {COLD_RUNS}: "
              f"{statistics.median(cold_ms):7.2f} ms  (max {max(cold_ms):.2f})")
    return 1 if check and l_med >= TARGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
