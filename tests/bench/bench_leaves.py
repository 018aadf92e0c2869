#!/usr/bin/env python3
"""Harness overhead per leaf (SPEC §12): N three-turn leaves against the fake model at zero
latency through the real harnessd, versus the same model HTTP calls and shell commands made by
a minimal Python runner (POST to the fake, `bwrap … sh -c CMD` per tool call), both at the same
concurrency. Prints both wall times and their ratio; exits 1 only if a leaf did not succeed.

Run: python3 tests/bench/bench_leaves.py  (env: HARNESSD, HARNESSCTL, BENCH_N=50,
BENCH_CONCURRENCY=8; defaults to build/apps/... binaries).
"""

import json
import os
import re
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
from fake_model import FakeModel  # noqa: E402

N = int(os.environ.get("BENCH_N", "50"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
SCRIPT = [
    {"tool_calls": [{"name": "bash", "input": {"command": "echo hello > out.txt"}}]},
    {"tool_calls": [{"name": "bash", "input": {"command": "cat out.txt"}}]},
    {"text": "The file says hello."},
]
TOOLS = [{"name": "bash", "description": "Run a shell command.",
          "input_schema": {"type": "object", "properties": {"command": {"type": "string"}},
                           "required": ["command"]}}]


# ---------------------------------------------------------------- the bare runner


def bwrap_argv(workdir, cmd):
    return ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--ro-bind-try", "/bin", "/bin", "--ro-bind-try", "/lib", "/lib",
            "--ro-bind-try", "/lib64", "/lib64", "--ro-bind-try", "/etc", "/etc",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--bind", str(workdir), "/workspace", "--chdir", "/workspace",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "sh", "-c", cmd]


def post_messages(base, messages):
    body = json.dumps({"model": "claude-fake", "max_tokens": 1024, "system": "You are a bench.",
                       "tools": TOOLS, "messages": messages}).encode()
    req = urllib.request.Request(base + "/v1/messages", data=body, method="POST", headers={
        "content-type": "application/json", "x-api-key": he.API_KEY, "anthropic-version": "2023-06-01"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def bare_leaf(base, workdir, prompt):
    """The naive agent loop: call the model, run each tool call in a fresh bwrap, repeat."""
    messages = [{"role": "user", "content": prompt}]
    while True:
        resp = post_messages(base, messages)
        messages.append({"role": "assistant", "content": resp["content"]})
        calls = [b for b in resp["content"] if b["type"] == "tool_use"]
        if not calls:
            return "".join(b.get("text", "") for b in resp["content"])
        results = []
        for c in calls:
            p = subprocess.run(bwrap_argv(workdir, c["input"]["command"]), capture_output=True, text=True)
            results.append({"type": "tool_result", "tool_use_id": c["id"],
                            "content": f"exit {p.returncode}\n{p.stdout}{p.stderr}"})
        messages.append({"role": "user", "content": results})


def run_bare(fake, root):
    dirs = [root / f"bare{i}" for i in range(N)]
    for d in dirs:
        d.mkdir()
    t = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        answers = list(pool.map(lambda i: bare_leaf(fake.anthropic_base, dirs[i], f"bench leaf {i}"), range(N)))
    elapsed = time.monotonic() - t
    ok = all(a == SCRIPT[-1]["text"] for a in answers) and all((d / "out.txt").exists() for d in dirs)
    return elapsed, ok


# ---------------------------------------------------------------- through harnessd


def run_harness(fake, root):
    d = he.Daemon(root / "daemon", {
        "max_running": CONCURRENCY,
        "models": {"default": he.anthropic_model(fake)},
        "sandboxes": {"default": {"driver": "bwrap", "network": False}}})
    d.start()
    try:
        dirs = [root / f"harness{i}" for i in range(N)]
        for w in dirs:
            w.mkdir()
        t = time.monotonic()
        ids = []
        for i in range(N):
            r = d.submit_api({"prompt": f"bench leaf {i}", "workdir": str(dirs[i])})
            if r.status != 201:
                raise SystemExit(f"submit failed: {r}")
            ids.append(r.json["id"])
        leaves = [d.wait_leaf(i, timeout=600) for i in ids]
        elapsed = time.monotonic() - t
        ok = all(leaf["state"] == "succeeded" for leaf in leaves)
        if not ok:
            bad = [leaf for leaf in leaves if leaf["state"] != "succeeded"][:3]
            print("failed leaves:", json.dumps(bad, indent=1), file=sys.stderr)
            print(d.log_tail(50), file=sys.stderr)
        # The CLI's own cost, for reference: one `harnessctl wait` over all of them.
        t2 = time.monotonic()
        code, _, err = d.ctl("wait", *ids, "--timeout", "60s", timeout=120)
        cli = time.monotonic() - t2
        if code != 0:
            print(f"harnessctl wait exited {code}: {err}", file=sys.stderr)
        return elapsed, ok, cli
    finally:
        d.stop()
        print_store_writes(d.log_text())


def print_store_writes(log):
    """The daemon's count of store write transactions and of the commits (fsyncs) that carried
    them, logged when the store closes: group commit makes the second smaller."""
    m = re.search(r"(\d+) write transactions in (\d+) commits", log)
    if not m:
        print("store writes: not reported by this harnessd")
        return
    tx, commits = int(m.group(1)), int(m.group(2))
    print(f"store writes  : {tx} transactions in {commits} commits: {tx / N:.1f} writes and "
          f"{commits / N:.1f} fsyncs per leaf")


def main():
    ok, why = he.bwrap_works()
    if not ok:
        print(f"bench_leaves: skipped, bubblewrap cannot run here: {why}")
        return 0
    try:
        he.harnessd_path(), he.harnessctl_path()
    except RuntimeError as e:
        print(f"bench_leaves: {e}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-leaves-") as tmp:
        root = Path(tmp)
        fake = FakeModel(api_key=he.API_KEY).start()
        try:
            fake.set_script(SCRIPT)
            bare_s, bare_ok = run_bare(fake, root)
            fake.set_script(SCRIPT)
            harness_s, harness_ok, cli_s = run_harness(fake, root)
        finally:
            fake.stop()
    print(f"leaves: {N} x 3 turns (2 bash tool calls), concurrency {CONCURRENCY}, model latency 0")
    print(f"bare runner   : {bare_s:8.3f} s  ({1000 * bare_s / N:7.2f} ms/leaf)  ok={bare_ok}")
    print(f"harnessd      : {harness_s:8.3f} s  ({1000 * harness_s / N:7.2f} ms/leaf)  ok={harness_ok}")
    print(f"harnessctl wait over all {N}: {cli_s:.3f} s")
    print(f"ratio harnessd/bare: {harness_s / bare_s:.2f}  (goal: <= 2.00)")
    return 0 if bare_ok and harness_ok else 1


if __name__ == "__main__":
    sys.exit(main())
