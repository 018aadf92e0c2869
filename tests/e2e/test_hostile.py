"""Hostile input (issue #7): nothing a model, a tool or an argument sends takes harnessd down.

Model and tool part: error pages and JSON strings holding bytes that are not UTF-8, a truncated
body, a 50 MB body, wrongly typed inputs for every tool, tools printing invalid UTF-8 and binary
while a follower is attached, a file name with invalid bytes, and harnessctl arguments that are
not UTF-8. After each: the daemon's pid is unchanged, /readyz answers, the leaf ends in the
documented state (docs/api.md "Text and tool inputs"), and followers printed the repaired text.
"""

import json
import os
import subprocess

import pytest

import harness_env as he
from fake_model import tool_results

FFFD = "\ufffd"


@pytest.fixture
def d(make_daemon, fake):
    """A daemon whose Anthropic model gives up after two attempts."""
    models = {"default": he.anthropic_model(fake, max_attempts=2), "openai": he.openai_model(fake)}
    return make_daemon(models=models)


def assert_unharmed(d, pid):
    assert d.alive(), f"harnessd exited:\n{d.log_tail()}"
    assert d.proc.pid == pid, "harnessd was restarted"
    r = d.request("GET", "/readyz")
    assert r.status == 200, r


def bash(command, **extra):
    return {"name": "bash", "input": {"command": command, **extra}}


def follow_logs(d, leaf_id):
    """`harnessctl logs -f ID` attached now; returns the Popen (stdout/stderr as bytes)."""
    argv = [he.harnessctl_path(), "--socket", str(d.socket), "logs", "-f", leaf_id]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=d.ctl_env(),
                            stdin=subprocess.DEVNULL)


def finished_outputs(d, leaf_id):
    return [e["data"]["output"] for e in d.events(leaf_id) if e["type"] == "tool_finished"]


# ---------------------------------------------------------------- the model


def test_error_page_that_is_not_utf8(d, fake, workdir):
    pid = d.proc.pid
    page = b"<html><body>502 Bad Gateway \xff\xfe\xc0 upstream \xe2\x82</body></html>"
    fake.set_script([{"status": 502, "body": page}, {"status": 400, "body": page}, {"text": "never"}])
    code, out, err = d.ctl("run", "hello", "--workdir", workdir)
    assert code == 3, err
    assert "Bad Gateway " + FFFD in err  # the follower's model_error line, repaired
    leaf = d.leaves()[0]
    assert leaf["state"] == "failed" and leaf["reason"] == "model_error"
    assert "502 Bad Gateway " + FFFD * 3 + " upstream " + FFFD + "</body>" in leaf["message"]
    errors = [e["data"]["message"] for e in d.events(leaf["id"]) if e["type"] == "model_error"]
    assert len(errors) == 2 and all(FFFD in m for m in errors)
    envelope = d.state_dir / "leaves" / leaf["id"]
    he.wait_until(lambda: (envelope / "DONE").exists(), 10, what="the envelope's DONE marker")
    result = json.loads((envelope / "result.json").read_text(encoding="utf-8"))
    assert result["message"] == leaf["message"]
    assert_unharmed(d, pid)


def test_invalid_bytes_inside_json_strings_of_a_response(d, fake, workdir):
    pid = d.proc.pid
    fake.set_script([
        {"text": "looking @@A@@", "tool_calls": [bash("echo x @@A@@")], "raw_bytes": {"@@A@@": b"caf\xe9\xff"}},
        {"text": "done: @@B@@", "raw_bytes": {"@@B@@": b"\xc3(\xed\xa0\x80"}},
    ])
    code, out, err = d.ctl("run", "go", "--workdir", workdir)
    assert code == 0, err
    assert out == "done: " + FFFD + "(" + FFFD * 3 + "\n"
    leaf = d.leaves()[0]
    assert leaf["state"] == "succeeded" and leaf["result"] == "done: " + FFFD + "(" + FFFD * 3
    # The model's tool input was repaired before it ran: the sandbox echoed U+FFFD.
    assert finished_outputs(d, leaf["id"]) == ["exit code 0\n--- stdout ---\nx caf" + FFFD * 2 + "\n"]
    assert_unharmed(d, pid)


def test_truncated_body_is_retried(d, fake, workdir):
    pid = d.proc.pid
    fake.set_script([{"truncate": 40}, {"text": "whole this time"}])
    code, out, err = d.ctl("run", "hi", "--workdir", workdir)
    assert code == 0, err
    assert out == "whole this time\n"
    leaf_id = d.leaves()[0]["id"]
    assert [e["data"]["attempt"] for e in d.events(leaf_id) if e["type"] == "model_error"] == [1]
    assert_unharmed(d, pid)


def test_a_50_mb_body_fails_the_leaf_not_the_daemon(d, fake, workdir):
    pid = d.proc.pid
    fake.set_script([{"big": 50 * 1024 * 1024}, {"text": "unreached"}])
    leaf_id = d.submit("hi", "--workdir", workdir)
    leaf = d.wait_leaf(leaf_id, timeout=120)
    assert leaf["state"] == "failed" and leaf["reason"] == "model_error", leaf
    assert "over 33554432 bytes" in leaf["message"]
    assert_unharmed(d, pid)


# ---------------------------------------------------------------- tool inputs


BAD_INPUTS = [
    ("bash", {"command": None}, "bash: `command` is required (a string)"),
    ("bash", {"command": ["ls"]}, "bash: `command` must be a string"),
    ("bash", {"command": "true", "timeout_s": 0}, "bash: `timeout_s` must be a number of seconds"),
    ("bash", {"command": "true", "timeout_s": 1e300}, "bash: `timeout_s` must be a number of seconds"),
    ("read_file", {"path": 7}, "read_file: `path` must be a string"),
    ("read_file", {"path": "a", "offset": -1}, "read_file: `offset` must be a positive integer"),
    ("write_file", {"path": "a"}, "write_file: `content` is required (a string)"),
    ("edit_file", {"path": "a", "old": "x", "new": "y", "replace_all": "yes"},
     "edit_file: `replace_all` must be true or false"),
    ("list_files", {"glob": {"x": 1}}, "list_files: `glob` must be a string"),
    ("grep", {"pattern": False}, "grep: `pattern` must be a string"),
    ("request_approval", {"summary": 5, "proposed_action": "rm -rf /"},
     "request_approval: `summary` must be a string"),
    ("request_approval", {"summary": "s"}, "request_approval: `proposed_action` is required (a string)"),
    ("bash", {"command": "true", "comand": "typo"}, "bash: unknown field `comand`"),
]


@pytest.mark.parametrize("provider", ["default", "openai"])
def test_wrongly_typed_inputs_for_every_tool(d, fake, workdir, provider):
    """Under an `ask` rule for every tool, so gates and previews would see the inputs first."""
    pid = d.proc.pid
    calls = [{"name": t, "input": i, "id": f"call_{n}"} for n, (t, i, _) in enumerate(BAD_INPUTS)]
    fake.set_script([{"tool_calls": calls}, {"text": "understood"}])
    leaf_id = d.submit("try", "--workdir", workdir, "--model", provider, "--ask", "*")
    leaf = d.wait_leaf(leaf_id, timeout=60)
    assert leaf["state"] == "succeeded" and leaf["result"] == "understood", leaf
    results = tool_results(fake.model_requests()[-1])
    for n, (_, _, message) in enumerate(BAD_INPUTS):
        assert message in results[f"call_{n}"], results
    finished = [e["data"] for e in d.events(leaf_id) if e["type"] == "tool_finished"]
    assert len(finished) == len(BAD_INPUTS) and all(f["invalid_input"] and f["is_error"] for f in finished)
    types = d.event_types(leaf_id)
    assert "gate_opened" not in types and "tool_started" not in types
    assert os.listdir(workdir) == []
    assert_unharmed(d, pid)
    # A restart replays nothing harmful: the daemon comes back and the leaf stays succeeded.
    d.restart()
    assert d.leaf(leaf_id)["state"] == "succeeded"


# ---------------------------------------------------------------- tool output


def test_tools_printing_invalid_utf8_and_binary_while_followed(d, fake, workdir):
    pid = d.proc.pid
    fake.set_script([
        {"delay": 1.5},  # time for `logs -f` to attach before any tool runs
        {"tool_calls": [bash("printf 'a\\377\\376b\\n'; printf 'err\\300\\n' >&2; "
                                 "printf 'nel\\302\\205ls\\342\\200\\250\\n'"),  # valid UTF-8 that some readers take for line breaks
                        bash("head -c 1000 /dev/urandom")]},
        {"text": "seen"},
    ])
    leaf_id = d.submit("print junk", "--workdir", workdir)
    follower = follow_logs(d, leaf_id)
    json_follower = subprocess.Popen(
        [he.harnessctl_path(), "--socket", str(d.socket), "logs", "-f", leaf_id, "-o", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=d.ctl_env(), stdin=subprocess.DEVNULL)
    f_out, f_err = follower.communicate(timeout=60)
    j_out, j_err = json_follower.communicate(timeout=60)
    assert follower.returncode == 0 and json_follower.returncode == 0, (f_err, j_err)
    text = f_out.decode("utf-8")  # strict: everything a follower prints is UTF-8
    assert "a" + FFFD + FFFD + "b" in text
    live = he.ndjson(j_out.decode("utf-8"))
    live_outputs = [e["data"]["output"] for e in live if e.get("type") == "tool_finished"]
    assert live_outputs[0] == "exit code 0\n--- stdout ---\na" + FFFD * 2 + "b\nnel\u0085ls\u2028\n--- stderr ---\nerr" + FFFD + "\n"
    # What the follower saw live is exactly what the store kept.
    assert live_outputs == finished_outputs(d, leaf_id)
    assert d.leaf(leaf_id)["state"] == "succeeded"
    # And `run` shows the same repaired preview live.
    fake.set_script([{"tool_calls": [bash("printf 'x\\377y\\n'")]}, {"text": "ok"}])
    code, out, err = d.ctl("run", "again", "--workdir", workdir)
    assert code == 0 and out == "ok\n", err
    assert "x" + FFFD + "y" in err
    assert_unharmed(d, pid)


def test_file_name_and_content_with_invalid_bytes(d, fake, workdir):
    pid = d.proc.pid
    (workdir / "data.txt").write_bytes(b"line \xff one\n")
    with open(os.path.join(os.fsencode(str(workdir)), b"caf\xe9.txt"), "wb") as f:
        f.write(b"inside\n")
    fake.set_script([
        {"tool_calls": [{"name": "list_files", "input": {}, "id": "ls"},
                        {"name": "read_file", "input": {"path": "caf" + FFFD + ".txt"}, "id": "by_name"},
                        {"name": "read_file", "input": {"path": "data.txt"}, "id": "data"},
                        {"name": "grep", "input": {"pattern": "inside"}, "id": "grep"},
                        {"name": "bash", "input": {"command": "cat caf*.txt"}, "id": "glob"}]},
        {"text": "read them"},
    ])
    leaf_id = d.submit("look", "--workdir", workdir)
    follower = follow_logs(d, leaf_id)
    f_out, f_err = follower.communicate(timeout=60)
    assert follower.returncode == 0, f_err
    assert "caf" + FFFD + ".txt" in f_out.decode("utf-8")
    assert d.leaf(leaf_id)["state"] == "succeeded"
    results = tool_results(fake.model_requests()[-1])
    assert results["ls"] == "caf" + FFFD + ".txt\ndata.txt\n"
    assert "no such file" in results["by_name"]
    assert results["data"] == "     1\tline " + FFFD + " one\n"
    assert results["grep"] == "caf" + FFFD + ".txt:1:inside\n"
    assert "inside" in results["glob"]
    assert_unharmed(d, pid)


# ---------------------------------------------------------------- harnessctl arguments


def ctl_bytes(d, *args, stdin=None):
    argv = [os.fsencode(he.harnessctl_path()), b"--socket", os.fsencode(str(d.socket)),
            *[a if isinstance(a, bytes) else a.encode() for a in args]]
    p = subprocess.run(argv, capture_output=True, timeout=60, env=d.ctl_env(), input=stdin,
                       stdin=None if stdin is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def test_harnessctl_arguments_that_are_not_utf8(d, fake, workdir, tmp_path):
    pid = d.proc.pid
    bad = b"caf\xe9\xff"
    cases = [((b"submit", bad), b"prompt"), ((b"run", bad), b"prompt"),
             ((b"submit", b"p", b"--label", b"k=" + bad), b"--label"),
             ((b"submit", b"p", b"--workdir", bad), b"--workdir"),
             ((b"submit", b"p", b"--input", b"/tmp/" + bad), b"--input"),
             ((b"status", b"lf_" + bad), b"id")]
    for args, name in cases:
        code, out, err = ctl_bytes(d, *args)
        assert code == 2, (args, code, err)
        assert err == b"harnessctl: " + name + b": the argument is not valid UTF-8\n", err
    assert d.leaves() == []
    # A prompt file that is not UTF-8 is sent repaired, and harnessctl says so.
    fake.set_script([], default={"text": "ok"})
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes(b"fix the caf\xe9 bug")
    code, out, err = ctl_bytes(d, "submit", "-q", "-f", str(prompt), "--workdir", str(workdir))
    assert code == 0, err
    assert b"the prompt from the prompt file is not valid UTF-8" in err
    leaf_id = out.decode().strip()
    assert d.leaf(leaf_id)["prompt"] == "fix the caf" + FFFD + " bug"
    code, out, err = ctl_bytes(d, "submit", "-q", "-", "--workdir", str(workdir), stdin=b"\xff\xfe")
    assert code == 0 and b"from stdin is not valid UTF-8" in err, err
    assert_unharmed(d, pid)
