"""Redaction before anything is written (issue #8 item 5, docs/security.md "Redaction"): a canary
secret in the daemon's `api_key_env` variable and credential-shaped strings printed by a tool
are absent from a full dump of the store, the daemon log, result.json and the live stream, and
present there as [REDACTED:…]; the model's later requests carry the redacted text too."""

import json
import os
import pwd
import subprocess
import threading

import harness_env as he
from fake_model import neutral_messages

CANARY_ENV = "HX_CANARY_KEY"
CANARY = "hx-canary-7f3a9c2e1b5d4a60"  # not credential-shaped: only the literal value finds it
# Credential-shaped strings, split so this file does not look like it holds any.
AWS = "AKIA" + "HXTESTCANARY0042"
ANTHROPIC = "sk-ant-" + "api03-" + "Hx7q" * 12
PATTERN = "HXPAT-424242"
TOKEN = "hx-ci-token-9d2e7c41b0"  # a TCP bearer token: the daemon knows only its hash
SECRETS = (CANARY, AWS, ANTHROPIC, PATTERN, TOKEN)

COMMAND = f"echo {CANARY}; echo {AWS}; echo {ANTHROPIC}; echo {PATTERN}; echo {TOKEN}"
SCRIPT = [
    {"tool_calls": [{"name": "bash", "input": {"command": COMMAND}}], "delay": 0.3},
    {"text": f"the secrets were {CANARY} and {AWS}", "delay": 0.3},
]


def redacting_daemon(make_daemon, fake):
    models = {"default": he.anthropic_model(fake),
              # Never called: its key is only there to be redacted.
              "spare": he.openai_model(fake, api_key_env=CANARY_ENV)}
    d = make_daemon(models=models, start=False, extra_env={CANARY_ENV: CANARY})
    he.use_tree_config(d)
    d.config["redaction"] = {"patterns": ["HXPAT-[0-9]{6}"]}
    me = pwd.getpwuid(os.getuid()).pw_name
    d.config["auth"] = {"admin": [f"user:{me}"],
                        "tokens": {"ci": {"token": TOKEN, "roles": ["submit"]}}}
    return d.start()


def follow_raw(d, leaf_id, out):
    """The live NDJSON stream of GET /v1/leaves/{id}/events?follow=1, appended to `out`."""
    r = d.request("GET", f"/v1/leaves/{leaf_id}/events?follow=1", timeout=60)
    out.append(r.raw.decode("utf-8", errors="replace"))


def store_dump(d):
    p = subprocess.run(["sqlite3", str(d.state_dir / "harness.db"), ".dump"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def assert_clean(where, text):
    for s in SECRETS:
        assert s not in text, f"{s!r} reached {where}"


def test_secrets_never_reach_the_store_the_log_the_envelope_or_the_stream(make_daemon, fake):
    fake.set_script(SCRIPT)
    d = redacting_daemon(make_daemon, fake)
    leaf_id = d.submit(f"print the secrets, for example {CANARY}")
    stream = []
    follower = threading.Thread(target=follow_raw, args=(d, leaf_id, stream))
    follower.start()
    code, live, err = d.ctl("logs", "-f", leaf_id, "-o", "json", timeout=90)
    assert code == 0, err
    follower.join(timeout=60)
    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded", leaf

    dump = store_dump(d)
    envelope = d.state_dir / "leaves" / leaf_id
    he.wait_until(lambda: (envelope / "DONE").exists(), 30, what="the envelope's DONE marker")
    result = (envelope / "result.json").read_text()
    for where, text in (("the store", dump), ("the daemon log", d.log_text()),
                        ("result.json", result), ("the live stream", stream[0]),
                        ("logs -f", live)):
        assert_clean(where, text)

    assert f"[REDACTED:env:{CANARY_ENV}]" in dump
    for kind in ("aws_access_key_id", "anthropic_key", "pattern", "bearer_token"):
        assert f"[REDACTED:{kind}]" in dump, kind
        assert f"[REDACTED:{kind}]" in stream[0], kind
    assert json.loads(result)["result"] == \
        f"the secrets were [REDACTED:env:{CANARY_ENV}] and [REDACTED:aws_access_key_id]"
    assert json.loads(result)["prompt"] == f"print the secrets, for example [REDACTED:env:{CANARY_ENV}]"
    finished = [e for e in he.ndjson(live) if e.get("type") == "tool_finished"]
    assert finished and "[REDACTED:anthropic_key]" in finished[0]["data"]["output"]

    # The model's second request was built from the redacted log: the prompt, its own tool call
    # and the tool's output all arrive redacted.
    second = fake.replies()[1]
    assert_clean("the model's second request", json.dumps(second["body"]))
    results = [r["content"] for m in neutral_messages(second) for r in m["tool_results"]]
    assert results and "[REDACTED:aws_access_key_id]" in results[0]


def test_the_store_url_password_is_not_logged(daemon_factory, tmp_path):
    d = daemon_factory(start=False)
    password = "hx-store-pass-5e1f0c"
    base_argv = d.argv
    d.argv = lambda: base_argv() + ["--store", f"redis://app:{password}@127.0.0.1:1/0"]
    d.write_config()
    d.state_dir.mkdir(exist_ok=True)
    p = subprocess.run(d.argv(), capture_output=True, text=True, timeout=30, env=d.env,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0, "nothing listens on 127.0.0.1:1; harnessd must fail to start"
    out = p.stdout + p.stderr
    assert "redis" in out, out
    assert password not in out, out


def test_an_invalid_redaction_pattern_is_a_config_error_naming_the_line(daemon_factory):
    d = he.use_tree_config(daemon_factory(start=False))
    d.config["redaction"] = {"patterns": ["ok", "(unclosed"]}
    d.write_config()
    p = subprocess.run(d.argv(), capture_output=True, text=True, timeout=30, env=d.env,
                       stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    lines = d.config_path.read_text().splitlines()
    line = next(i for i, l in enumerate(lines, 1) if "(unclosed" in l)
    assert f"{d.config_path}:{line}" in p.stderr + p.stdout, p.stderr
    assert "redaction.patterns" in p.stderr + p.stdout
