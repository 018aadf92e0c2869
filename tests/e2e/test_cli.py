"""harnessctl without surprises (issue 11 item 4): real harnessctl against a real harnessd."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import harness_env as he


def test_repeatable_flags_never_eat_the_prompt(daemon_factory, fake):
    d = daemon_factory()
    code, out, err = d.ctl("submit", "-q", "--label", "team=a", "--label", "env=ci", "--input", __file__,
                           "--ask", "bash", "--deny", "write_file:/etc/*", "fix it")
    assert code == 0, err
    leaf = d.leaf(out.strip())
    assert leaf["prompt"] == "fix it"
    assert leaf["labels"] == {"team": "a", "env": "ci"}
    code, out, err = d.ctl("ls", "--label", "team=a", "-o", "json")
    assert code == 0, err
    assert he.ls_ids(out) == [leaf["id"]]


def test_a_socket_the_caller_may_not_open_is_exit_4_naming_the_group(daemon_factory):
    he.require("root", "runs harnessctl as nobody")
    he.require("setpriv", "runs harnessctl as nobody")
    d = daemon_factory(start=False)
    sock_dir = Path(tempfile.mkdtemp(prefix="hd-perm-", dir="/tmp"))
    sock_dir.chmod(0o755)  # others may reach the socket, which is 0660 root:root
    d.socket = sock_dir / "harnessd.sock"
    d.start()
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            he.harnessctl_path(), "--socket", str(d.socket), "ls"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=d.ctl_env())
    assert p.returncode == 4, p.stderr
    assert "permission denied" in p.stderr and str(d.socket) in p.stderr
    assert "join the group 'root'" in p.stderr, p.stderr
    assert "is it running" not in p.stderr
    assert d.ctl("ls")[0] == 0  # root still gets in


def test_relative_state_dir_and_socket_are_made_absolute(make_daemon, fake, workdir):
    d = make_daemon(start=False)
    d.cwd = d.root
    d.argv = lambda: [he.harnessd_path(), "--config", str(d.config_path), "--state-dir", "state",
                      "--socket", "harnessd.sock", "--foreground", "--log-level", "debug"]
    d.socket = d.root / "harnessd.sock"
    d.start()
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "echo hi > out.txt"}}]},
                     {"text": "done"}])
    leaf_id = d.submit("write", "--workdir", workdir)
    code, _, err = d.ctl("wait", leaf_id, "--timeout", "60s", timeout=90)
    assert code == 0, err
    assert (Path(workdir) / "out.txt").read_text() == "hi\n"
    assert (d.root / "state" / "harness.db").exists()
    p = subprocess.run([he.harnessd_path(), "--config", str(d.config_path), "--state-dir", "st",
                        "--print-config"], capture_output=True, text=True, cwd=d.root, env=d.env)
    assert f'state_dir = "{d.root}/st"' in p.stdout, p.stdout


def test_usage_typos_help_and_ranges(daemon_factory):
    d = daemon_factory()
    code, _, err = d.ctl()
    assert code == 2 and "submit" in err and "approvals" in err
    code, _, err = d.ctl("sumbit", "fix it")
    assert code == 2 and "did you mean submit?" in err, err
    code, out, _ = d.ctl("help", "submit")
    assert code == 0 and out == d.ctl("submit", "--help")[1]
    assert "--label" in out and "Global options" in out and "--socket" in out
    code, _, err = d.ctl("submit", "--max-turns", "0", "p")
    assert code == 2 and err.strip() == "harnessctl: --max-turns must be between 1 and 10000"
    assert d.leaves() == []


def test_global_flags_before_the_command_take_no_value_unless_they_have_one(daemon_factory, fake):
    """`--no-color` before the command is a flag: it must not swallow the word after it (the
    peer benchmark calls `harnessctl --socket S --no-color run …`)."""
    d = daemon_factory()
    fake.set_script([{"text": "fine"}])
    code, out, err = d.ctl("--no-color", "run", "say fine")
    assert code == 0, err
    assert "fine" in out
    r = subprocess.run([he.harnessctl_path(), "--no-color", "--socket", str(d.socket), "ls", "-o", "json"],
                       capture_output=True, text=True, env=d.ctl_env(), timeout=he.scaled(30))
    assert r.returncode == 0, r.stderr
    assert len(he.ls_ids(r.stdout)) == 1


def test_ls_labels_all_match_since_and_cursor(daemon_factory):
    d = daemon_factory()
    a = d.submit("a", "--label", "team=x")
    b = d.submit("b", "--label", "team=x", "--label", "prio=high")
    c = d.submit("c", "--label", "prio=high")
    code, out, err = d.ctl("ls", "--label", "team=x", "--label", "prio=high", "-o", "json")
    assert code == 0, err
    assert he.ls_ids(out) == [b]
    assert set(he.ls_ids(d.ctl("ls", "--since", "1h", "-o", "json")[1])) == {a, b, c}
    assert he.ls_ids(d.ctl("ls", "--since", "2999-01-01T00:00:00Z", "-o", "json")[1]) == []
    code, _, err = d.ctl("ls", "--since", "yesterday")
    assert code == 2 and "--since" in err
    code, out, err = d.ctl("ls", "--limit", "2")
    assert code == 0 and "--cursor" in err, err
    page = json.loads(d.ctl("ls", "--limit", "2", "-o", "json")[1])
    rest = he.ls_ids(d.ctl("ls", "--cursor", page["next_cursor"], "-o", "json")[1])
    assert he.ls_ids(json.dumps(page)) + rest == [c, b, a]
