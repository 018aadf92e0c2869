"""Completions offer ids from the daemon: the committed bash script, loaded in a real bash,
calls the hidden `harnessctl __complete` — open gates for approve/reject, leaves (unfinished
first) for logs/wait/status — and stays silent and quick when the daemon is away."""

import subprocess
import time

import harness_env as he

RULE = "bash:echo pushing*"
SCRIPT = he.REPO / "share" / "completions" / "harnessctl.bash"


def complete(words, env=None):
    """COMPREPLY of the bash completion for the command line `words` (the last one is the word
    being completed), plus whatever the completion printed."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    script = (f"source '{SCRIPT}'\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n"
              "_harnessctl\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                       timeout=he.scaled(30), env=env)
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.split("\n") if line], p.stderr


def test_bash_completes_the_ids_of_gated_and_other_leaves(make_daemon, fake):
    d = he.use_tree_config(make_daemon(extra={"policies": {"default": {"ask": [RULE]}}}, start=False)).start()
    fake.add_script("finish now", [{"text": "done"}])
    done_id = d.submit("finish now")
    assert d.wait_leaf(done_id)["state"] == "succeeded"
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "echo pushing"}}]},
                     {"text": "pushed"}])
    gated_id = d.submit("push it")
    he.wait_until(lambda: d.leaf(gated_id)["state"] == "awaiting_approval", he.scaled(30),
                  what="the leaf to park at its gate")

    ctl = he.harnessctl_path()
    sock = str(d.socket)
    ids, err = complete([ctl, "--socket", sock, "approve", ""], env=d.ctl_env())
    assert ids == [gated_id] and err == ""
    ids, _ = complete([ctl, "--socket", sock, "reject", gated_id[:6]], env=d.ctl_env())
    assert ids == [gated_id]
    # logs: every leaf, the unfinished one first.
    ids, _ = complete([ctl, "--socket", sock, "logs", ""], env=d.ctl_env())
    assert ids == [gated_id, done_id]
    # cancel: only leaves that can still be cancelled.
    ids, _ = complete([ctl, "--socket", sock, "cancel", ""], env=d.ctl_env())
    assert ids == [gated_id]
    # The socket may come from the environment instead of the line.
    ids, _ = complete([ctl, "approve", ""], env={**d.ctl_env(), "HARNESS_SOCKET": sock})
    assert ids == [gated_id]
    # Flags still complete as flags.
    ids, _ = complete([ctl, "--socket", sock, "approve", "--me"], env=d.ctl_env())
    assert "--message" in ids

    # __complete itself: hidden from --help, one id per line.
    code, out, _ = d.ctl("--help")
    assert code == 0 and "__complete" not in out
    code, out, err = d.ctl("__complete", "leaves", "--state", "gated")
    assert code == 0 and out == gated_id + "\n" and err == ""
    code, out, _ = d.ctl("__complete", "sessions")
    assert code == 0 and out.split() == [d.leaf(gated_id)["session"], d.leaf(done_id)["session"]]


def test_completion_is_silent_and_quick_without_a_daemon(tmp_path):
    ctl = he.harnessctl_path()
    t0 = time.monotonic()
    ids, err = complete([ctl, "--socket", str(tmp_path / "none.sock"), "approve", ""])
    assert ids == [] and err == ""
    assert time.monotonic() - t0 < he.scaled(3)
    p = subprocess.run([ctl, "__complete", "leaves", "--socket", str(tmp_path / "none.sock")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
