"""The files a leaf created or changed in its workspace: the workspace_changes event the daemon
records just before leaf_finished, and the list that ends `harnessctl run` and `logs`."""

import json
import os

import pytest

import harness_env as he
from test_core import run_on_a_tty
from test_gates import wait_parked

ANSWER = "Made the changes."
WORK = ("echo new > new.txt; echo more >> edit.txt; mkdir -p sub; echo 'int x;' > sub/deep.c; "
        "ln -s /etc/passwd link; echo x > .git/index")
SCRIPT = [{"tool_calls": [{"name": "bash", "input": {"command": WORK}}]}, {"text": ANSWER}]


@pytest.fixture
def tree(workdir):
    """A workdir with files from before the leaf: one it will append to, one it never touches
    (with an old mtime, as a checkout leaves it), and a .git directory."""
    (workdir / "edit.txt").write_text("before\n")
    (workdir / "old.txt").write_text("untouched\n")
    os.utime(workdir / "old.txt", (1_000_000_000, 1_000_000_000))
    (workdir / ".git").mkdir()
    return workdir


def changes_of(daemon, leaf_id):
    """The workspace_changes event's data, asserting it comes right before leaf_finished."""
    code, out, err = daemon.ctl("logs", leaf_id, "-o", "json")
    assert code == 0, err
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    types = [e["type"] for e in events]
    assert types[-2:] == ["workspace_changes", "leaf_finished"], types
    return events[-2]["data"]


def test_run_ends_with_the_files_the_leaf_created_or_changed(daemon, fake, tree):
    fake.set_script(SCRIPT)
    code, out, err = daemon.ctl("run", "change some files", "--workdir", tree, timeout=90)
    assert code == 0, err
    assert out == ANSWER + "\n"  # stdout keeps only the answer
    tail = err[err.index("succeeded (completed)"):]  # the list comes last, after the summary
    assert "4 files changed in the workspace (+ created, ~ modified):" in tail, err
    assert "  + new.txt (4 B)\n" in tail
    assert "  ~ edit.txt (12 B)\n" in tail
    assert "  + sub/deep.c (7 B)\n" in tail
    assert "  + link (symlink)\n" in tail
    assert "old.txt" not in err and ".git" not in err
    assert (tree / "link").is_symlink()  # listed as itself: the walk never read /etc/passwd

    leaf_id = daemon.ctl_json("ls")["leaves"][0]["id"]
    data = changes_of(daemon, leaf_id)
    assert data["count"] == 4 and data["truncated"] is False
    by_path = {f["path"]: f for f in data["files"]}
    assert set(by_path) == {"edit.txt", "link", "new.txt", "sub/deep.c"}
    assert by_path["new.txt"] == {"path": "new.txt", "change": "created", "type": "file", "size": 4}
    assert by_path["edit.txt"]["change"] == "modified"
    assert by_path["link"]["type"] == "symlink" and by_path["link"]["size"] == len("/etc/passwd")

    # `logs` ends the same way, after the answer.
    code, out, _ = daemon.ctl("logs", leaf_id)
    assert code == 0
    assert out.index(ANSWER) < out.index("4 files changed in the workspace")
    assert out.rstrip().endswith("  + sub/deep.c (7 B)")  # in path order


def test_run_on_a_tty_shows_the_list_too(daemon, fake, tree):
    fake.set_script(SCRIPT)
    code, out = run_on_a_tty([he.harnessctl_path(), "--socket", str(daemon.socket), "run",
                              "change some files", "--workdir", str(tree)], daemon.ctl_env(), 90)
    assert code == 0, out
    assert out.index(ANSWER) < out.index("4 files changed in the workspace"), out
    assert "+ new.txt (4 B)" in out and "old.txt" not in out


def test_a_leaf_that_changed_nothing_prints_no_list(daemon, fake, tree):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "cat old.txt"}}]},
                     {"text": ANSWER}])
    code, _, err = daemon.ctl("run", "look only", "--workdir", tree, timeout=90)
    assert code == 0, err
    assert "changed in the workspace" not in err
    leaf_id = daemon.ctl_json("ls")["leaves"][0]["id"]
    assert changes_of(daemon, leaf_id) == {"files": [], "count": 0, "truncated": False}


@pytest.mark.parametrize("how", ["cancel", "reject --stop"])
def test_a_leaf_stopped_at_a_gate_lists_what_it_did_before(daemon, fake, tree, how):
    fake.set_script([
        {"tool_calls": [{"name": "bash", "input": {"command": "echo a > made.txt"}}]},
        {"tool_calls": [{"name": "request_approval",
                         "input": {"summary": "go on?", "proposed_action": "more"}}]},
        {"text": "never"},
    ])
    leaf_id = daemon.submit("work then ask", "--workdir", tree)
    wait_parked(daemon, leaf_id)
    if how == "cancel":
        code, _, err = daemon.ctl("cancel", leaf_id)
    else:
        code, _, err = daemon.ctl("reject", leaf_id, "--stop", "-m", "no")
    assert code == 0, err
    data = changes_of(daemon, leaf_id)
    assert [f["path"] for f in data["files"]] == ["made.txt"]
