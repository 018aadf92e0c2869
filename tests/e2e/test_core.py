"""A whole leaf through the real daemon and CLI: three turns, real tools in bwrap, both wire
formats, the CLI's submit/wait/status/logs/run, and the offline replay provider."""

import json

import pytest

import harness_env as he
from fake_model import neutral_messages, tool_results, user_texts

PROMPT = "write hello to out.txt, then read it back"
ANSWER = "The file says hello."
THREE_TURNS = [
    {"tool_calls": [{"name": "bash", "input": {"command": "echo hello > out.txt"}}]},
    {"text": "Let me check.", "tool_calls": [{"name": "read_file", "input": {"path": "out.txt"}}]},
    {"text": ANSWER},
]


def call_ids(record):
    """Ids of the tool calls in the last assistant message of a recorded request."""
    assistant = [m for m in neutral_messages(record) if m["role"] == "assistant"]
    return [c["id"] for c in assistant[-1]["tool_calls"]]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_three_turn_leaf_with_workdir(daemon, fake, workdir, provider):
    fake.set_script(THREE_TURNS)
    leaf_id = daemon.submit(PROMPT, "--model", provider, "--workdir", workdir)

    code, _, err = daemon.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 0, err

    st = daemon.ctl_json("status", leaf_id)
    assert st["schema"] == 1
    assert st["id"] == leaf_id and st["session"].startswith("ses_")
    assert st["state"] == "succeeded" and st["reason"] == "completed"
    assert "message" in st
    assert st["result"] == ANSWER
    assert st["created_at"] and st["finished_at"]
    assert st["created_at"] <= st["finished_at"]
    assert {k: st["usage"][k] for k in ("input_tokens", "output_tokens")} == fake.usage_totals()

    assert (workdir / "out.txt").read_text() == "hello\n"

    reqs = fake.replies()
    assert len(reqs) == 3 and [r["turn"] for r in reqs] == [0, 1, 2]
    assert all(r["provider"] == provider for r in reqs)
    assert user_texts(reqs[0]) == [PROMPT]
    offered = {t.get("name") or t.get("function", {}).get("name") for t in reqs[0]["body"].get("tools", [])}
    assert {"bash", "read_file", "write_file", "edit_file", "list_files", "grep"} <= offered
    # Each later request carries the results of the previous turn's calls.
    [bash_id] = call_ids(reqs[1])
    assert bash_id in tool_results(reqs[1])
    [read_id] = call_ids(reqs[2])
    assert "hello" in tool_results(reqs[2])[read_id]
    if provider == "anthropic":
        h = reqs[0]["headers"]
        assert h.get("x-api-key") == he.API_KEY or h.get("authorization") == f"Bearer {he.API_KEY}"
        assert h.get("anthropic-version")
        assert reqs[0]["body"]["model"] == "claude-fake" and reqs[0]["body"]["max_tokens"] == 1024
    else:
        assert reqs[0]["headers"]["authorization"] == f"Bearer {he.API_KEY}"
        assert reqs[0]["body"]["model"] == "gpt-fake"
    assert fake.errors == [] and all(r["status"] == 200 for r in fake.model_requests())

    code, out, err = daemon.ctl("logs", leaf_id, "-o", "json")
    assert code == 0, err
    events = he.ndjson(out)
    types = [e["type"] for e in events]
    assert types[0] == "leaf_submitted" and types[-1] == "leaf_finished"
    assert types.count("model_response") == 3
    assert types.count("tool_started") == 2 and types.count("tool_finished") == 2
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    bash_done = next(e for e in events if e["type"] == "tool_finished" and e["data"]["name"] == "bash")
    assert bash_done["data"]["exit_code"] == 0 and bash_done["data"]["is_error"] is False


def test_human_logs_and_status(daemon, fake, workdir):
    fake.set_script(THREE_TURNS)
    leaf_id = daemon.submit(PROMPT, "--workdir", workdir)
    assert daemon.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)[0] == 0
    code, out, _ = daemon.ctl("logs", leaf_id)
    assert code == 0 and "$ echo hello > out.txt" in out and "read_file out.txt" in out
    code, out, _ = daemon.ctl("status", leaf_id)
    assert code == 0 and leaf_id in out and "succeeded" in out


def test_logs_end_with_the_final_answer(daemon, fake, workdir):
    fake.set_script(THREE_TURNS[:1] + [{"text": "line one of the answer\nline two"}])
    leaf_id = daemon.submit(PROMPT, "--workdir", workdir)
    assert daemon.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)[0] == 0
    for follow in ((), ("-f",)):
        code, out, err = daemon.ctl("logs", leaf_id, *follow)
        assert code == 0, err
        lines = out.rstrip("\n").split("\n")
        # The end line, the answer, then what the leaf changed in its workspace, as `run` ends.
        assert "succeeded (completed)" in lines[-5], out
        assert lines[-4:-2] == ["line one of the answer", "line two"], out
        assert lines[-2:] == ["1 file changed in the workspace (+ created):", "  + out.txt (6 B)"], out
    # -o json stays one event per line: no answer appended.
    code, out, _ = daemon.ctl("logs", leaf_id, "-o", "json")
    assert code == 0
    events = he.ndjson(out)
    assert events[-1]["type"] == "leaf_finished"


def test_run_prints_the_answer(daemon, fake, workdir):
    fake.set_script(THREE_TURNS)
    code, out, err = daemon.ctl("run", PROMPT, "--workdir", workdir, timeout=90)
    assert code == 0, err
    assert ANSWER in out
    assert (workdir / "out.txt").read_text() == "hello\n"


def test_submit_wait_flag_exits_with_the_leaf(daemon, fake, workdir):
    fake.set_script(THREE_TURNS)
    code, out, err = daemon.ctl("submit", PROMPT, "--workdir", workdir, "--wait", "-o", "json", timeout=90)
    assert code == 0, err
    leaf = json.loads(out)
    assert leaf["state"] == "succeeded" and leaf["result"] == ANSWER


def test_prompt_from_stdin_and_file(daemon, fake, tmp_path):
    fake.set_script([], default={"text": "ok"})
    code, out, err = daemon.ctl("submit", "-q", "-", input="prompt from stdin")
    assert code == 0, err
    stdin_id = out.strip()
    pf = tmp_path / "prompt.txt"
    pf.write_text("prompt from file")
    code, out, err = daemon.ctl("submit", "-q", "-f", pf)
    assert code == 0, err
    file_id = out.strip()
    assert daemon.wait_leaf(stdin_id)["prompt"] == "prompt from stdin"
    assert daemon.wait_leaf(file_id)["prompt"] == "prompt from file"
    firsts = sorted(user_texts(r)[0] for r in fake.replies())
    assert firsts == ["prompt from file", "prompt from stdin"]


def test_replay_provider_needs_no_server(make_daemon, fake, workdir, tmp_path):
    fake.stop()
    replay = he.write_replay(tmp_path / "replay.json", THREE_TURNS)
    d = make_daemon(models={"default": he.replay_model(replay)})
    leaf_id = d.submit(PROMPT, "--workdir", workdir)
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 0, err
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == ANSWER
    assert (workdir / "out.txt").read_text() == "hello\n"
    assert fake.model_requests() == []


def test_credentials_never_reach_the_sandbox(daemon, fake, workdir):
    """The model key is in the daemon's environment; a tool dumping its environment must not
    see it, and neither the events nor the daemon log may contain it."""
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {
            "command": "env; echo ---; cat /proc/1/environ 2>/dev/null | tr '\\0' '\\n'"}}]},
        {"text": "done"},
    ])
    leaf_id = daemon.submit("show me your environment", "--workdir", workdir)
    assert daemon.wait_leaf(leaf_id)["state"] == "succeeded"
    [req] = [r for r in fake.replies() if r["turn"] == 1]
    [out] = tool_results(req).values()
    assert "---" in out  # the command did run and its output came back
    assert he.API_KEY not in out and he.API_KEY_ENV not in out
    code, logs, _ = daemon.ctl("logs", leaf_id, "-o", "json")
    assert code == 0 and he.API_KEY not in logs
    assert he.API_KEY not in daemon.log_text()


def run_on_a_tty(argv, env, timeout):
    """Runs argv with stdout and stderr on a pseudo-terminal; returns (exit code, all it wrote)."""
    import os
    import pty
    import select
    import subprocess
    import time

    parent, child = pty.openpty()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=child, stderr=child, env=env)
    os.close(child)
    out = b""
    deadline = time.monotonic() + he.scaled(timeout)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([parent], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(parent, 65536)
            except OSError:  # EIO: the child side is closed
                break
            if not chunk:
                break
            out += chunk
        elif p.poll() is not None:
            break
    os.close(parent)
    return p.wait(timeout=he.scaled(10)), out.decode("utf-8", "replace")


def test_run_on_a_tty_shows_a_spinner_with_elapsed_time(daemon, fake, workdir):
    fake.set_script([{"delay": 2.5}, {"tool_calls": [{"name": "bash", "input": {"command": "sleep 1.5; echo slept"}}]},
                     {"text": ANSWER}])
    code, out = run_on_a_tty([he.harnessctl_path(), "--socket", str(daemon.socket), "run", PROMPT,
                              "--workdir", str(workdir)], daemon.ctl_env(), 90)
    assert code == 0, out
    assert "waiting for the model · 1s" in out, out
    assert "running bash: sleep 1.5; echo slept · 1s" in out, out
    assert "\r\x1b[K" in out  # the spinner's line is cleared before the next event's line
    assert ANSWER in out

    # Not on a pipe, and never with -o json.
    fake.set_script([{"delay": 1.2}, {"text": ANSWER}])
    code, out, err = daemon.ctl("run", PROMPT, timeout=90)
    assert code == 0 and "\r" not in out + err and "waiting for" not in err
    fake.set_script([{"delay": 1.2}, {"text": ANSWER}])
    code, out = run_on_a_tty([he.harnessctl_path(), "--socket", str(daemon.socket), "run", PROMPT,
                              "-o", "json"], daemon.ctl_env(), 90)
    assert code == 0 and "waiting for" not in out, out
