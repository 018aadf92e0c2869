"""Approver notifications (issue 10 item 5, docs/notifications.md): when a gate opens, each
[notify.NAME] of the leaf's policy gets the gate as JSON — POSTed to a real HTTP server in this
test, signed with HMAC-SHA256 — or on a command's stdin; its `harnessctl approve` line works; a
notifier that is down or hangs never delays the gate; outcomes are events on the leaf; SIGHUP
picks up changed notifiers."""

import hashlib
import hmac
import http.server
import json
import os
import shlex
import signal
import threading
import time
from datetime import datetime

import pytest

import harness_env as he
from test_gates import PUSH, RULE, wait_parked

PUSH2 = "echo pushing again > again.txt"
SECRET_ENV = "HX_HOOK_SECRET"
SECRET = "hx-hook-secret-5b1e"
AWS = "AKIA" + "HXTESTCANARY0042"  # credential-shaped: redacted like everywhere else


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) in a thread, recording every POST. `statuses`
    are answered in turn (then 200); `hang` makes every request wait that many seconds first."""

    def __init__(self, statuses=(), hang=0.0):
        self.requests = []
        self.statuses = list(statuses)
        self.hang = hang
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.requests.append({"headers": dict(self.headers), "body": body,
                                           "at": time.time()})
                    status = outer.statuses.pop(0) if outer.statuses else 200
                if outer.hang:
                    time.sleep(outer.hang)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the daemon gave up on us

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def got(self, n=1, timeout=20):
        def enough():
            with self.lock:
                return list(self.requests) if len(self.requests) >= n else None
        return he.wait_until(enough, timeout, interval=0.05, what=f"{n} notification(s)")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(**kw):
        r = Receiver(**kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


def bash(command):
    return {"tool_calls": [{"name": "bash", "input": {"command": command}}]}


def notify_daemon(make_daemon, notifiers, notify):
    d = make_daemon(start=False, extra_env={SECRET_ENV: SECRET})
    he.use_tree_config(d)
    d.config["policies"] = {"default": {"ask": [RULE], "notify": notify}}
    d.config["notify"] = notifiers
    return d.start()


def events_of(d, leaf_id, etype):
    return [e for e in d.events(leaf_id) if e["type"] == etype]


def wait_event(d, leaf_id, etype, timeout=30, **match):
    def found():
        for e in events_of(d, leaf_id, etype):
            if all(e["data"].get(k) == v for k, v in match.items()):
                return e
        return None
    return he.wait_until(found, timeout, interval=0.1, what=f"{etype} {match} on {leaf_id}")


def ts(event):
    return datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).timestamp()


def test_a_gate_is_posted_signed_and_its_approve_line_works(make_daemon, fake, workdir, receiver):
    hook = receiver()
    d = notify_daemon(make_daemon, {"hook": {"url": hook.url, "secret_env": SECRET_ENV}}, ["hook"])
    command = f"{PUSH}; echo pushing {AWS}"
    fake.set_script([bash(command), {"text": "pushed"}])
    leaf_id = d.submit("push it", "--workdir", workdir)
    st = wait_parked(d, leaf_id)

    [req] = hook.got(1)
    # Its outcome is an event of the leaf, written before the leaf can end.
    wait_event(d, leaf_id, "notification_sent", notifier="hook")
    body, headers = req["body"], req["headers"]
    # The signature covers "<timestamp>.<exact body bytes>" with the secret.
    stamp = headers["X-Harness-Timestamp"]
    assert abs(int(stamp) - time.time()) < 120
    expected = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Harness-Signature"] == "sha256=" + expected
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Harness-Event"] == "gate_opened"
    assert headers["X-Harness-Delivery"] == f"{leaf_id}.1.hook"
    n = json.loads(body)
    assert n["event"] == "gate_opened" and n["notifier"] == "hook"
    assert n["leaf"] == leaf_id and n["session"] == st["session"] and n["gate"] == 1
    assert n["tool"] == "bash" and n["kind"] == "policy" and n["rule"] == RULE
    # The exact command as `approvals` shows it, redacted like everything else.
    [shown] = [a for a in d.ctl_json("approvals")["approvals"] if a["leaf"] == leaf_id]
    assert n["command"] == shown["command"]
    assert AWS not in body.decode() and "[REDACTED" in n["command"] and PUSH in n["command"]
    assert n["submitted_by"]["name"] == st["submitted_by"]["name"]
    assert n["opened_at"] == shown["opened_at"] and n["policy"] == "default"
    assert n["approve"] == f"harnessctl approve {leaf_id} --gate 1"
    assert n["reject"] == f"harnessctl reject {leaf_id} --gate 1"
    assert not (workdir / "pushed.txt").exists()

    # The line works when pasted.
    argv = shlex.split(n["approve"])
    assert argv[0] == "harnessctl"
    code, out, err = d.ctl(*argv[1:])
    assert code == 0, err
    assert d.wait_leaf(leaf_id)["state"] == "succeeded"
    assert (workdir / "pushed.txt").read_text() == "pushing\n"

    [sent] = events_of(d, leaf_id, "notification_sent")
    assert sent["data"] == {"notifier": "hook", "channel": "url", "gate": 1, "attempts": 1,
                            "status": 200}
    code, out, err = d.ctl("logs", leaf_id)
    assert code == 0, err
    assert "notified notify.hook (url) of gate 1 · HTTP 200 · 1 attempt" in out
    assert SECRET not in d.log_text() and hook.url not in d.log_text()


def test_down_or_hanging_notifiers_never_delay_the_gate(make_daemon, fake, workdir, receiver):
    hanging = receiver(hang=60)
    notifiers = {
        "down": {"url": f"http://127.0.0.1:{he.closed_port()}/hook", "attempts": 3,
                 "retry_backoff": "200ms"},
        "slow": {"url": hanging.url, "timeout": f"{int(he.scaled(5))}s", "attempts": 2,
                 "retry_backoff": "100ms"},
        "gone": {"url": receiver(statuses=[410]).url, "attempts": 3},
        "flaky": {"url": receiver(statuses=[503]).url, "attempts": 3, "retry_backoff": "100ms"},
    }
    d = notify_daemon(make_daemon, notifiers, ["down", "slow", "gone", "flaky"])
    fake.set_script([bash(PUSH), bash(PUSH2), {"text": "done"}])
    leaf_id = d.submit("push twice", "--workdir", workdir)

    wait_parked(d, leaf_id, gate=1)
    [shown] = [a for a in d.ctl_json("approvals")["approvals"] if a["leaf"] == leaf_id]
    assert shown["gate"] == 1 and shown["command"] == PUSH
    code, _, err = d.ctl("approve", leaf_id, "--gate", "1")
    assert code == 0, err
    # The verdict went through while the hanging notifier still held its first request.
    [opened] = [e for e in events_of(d, leaf_id, "gate_opened") if e["data"]["gate"] == 1]
    [decided] = [e for e in events_of(d, leaf_id, "gate_decided") if e["data"]["gate"] == 1]
    assert ts(decided) - ts(opened) < he.scaled(5), "the gate waited for a notifier"
    assert not [e for e in events_of(d, leaf_id, "notification_failed")
                if e["data"]["notifier"] == "slow"]

    wait_parked(d, leaf_id, gate=2)  # the approved call ran; the next one waits
    down = wait_event(d, leaf_id, "notification_failed", notifier="down", gate=1)
    assert down["data"]["attempts"] == 3 and down["data"]["status"] is None
    # The URL (often a secret itself) is named, never shown.
    assert "the url of notify.down" in down["data"]["error"] and "/hook" not in down["data"]["error"]
    slow = wait_event(d, leaf_id, "notification_failed", notifier="slow", gate=1)
    assert slow["data"]["attempts"] == 2 and ts(slow) > ts(decided)
    assert "timed out" in slow["data"]["error"].lower() or "timeout" in slow["data"]["error"].lower()
    assert len([r for r in hanging.requests]) >= 2
    # A 4xx is final: one attempt.
    gone_ev = wait_event(d, leaf_id, "notification_failed", notifier="gone", gate=1)
    assert gone_ev["data"]["attempts"] == 1 and gone_ev["data"]["status"] == 410
    assert "HTTP 410" in gone_ev["data"]["error"]
    # A 5xx is tried again.
    flaky = wait_event(d, leaf_id, "notification_sent", notifier="flaky", gate=1)
    assert flaky["data"]["attempts"] == 2 and flaky["data"]["status"] == 200

    code, out, err = d.ctl("logs", leaf_id)
    assert code == 0, err
    assert "notify.down (url) could not be told of gate 1 after 3 attempts" in out
    assert "notify.gone (url) could not be told of gate 1 after 1 attempt: HTTP 410" in out

    code, _, err = d.ctl("reject", leaf_id, "--gate", "2", "--stop", "-m", "enough")
    assert code == 0, err
    assert d.wait_leaf(leaf_id)["state"] == "rejected"


def test_an_outcome_after_the_leaf_ended_is_not_written_to_it(make_daemon, fake, workdir,
                                                              receiver):
    hanging = receiver(hang=60)
    # The leaf must end before the 2 s timeout does (more with sanitizers).
    slow = {"url": hanging.url, "timeout": f"{int(he.scaled(2))}s", "attempts": 1}
    d = notify_daemon(make_daemon, {"slow": slow}, ["slow"])
    fake.set_script([bash(PUSH), {"text": "done"}])
    leaf_id = d.submit("push it", "--workdir", workdir)
    wait_parked(d, leaf_id)
    hanging.got(1)
    # Ended while its notification is still in flight: the late outcome is dropped (the store
    # refuses events of a finished leaf), the log says so, and the daemon carries on.
    code, _, err = d.ctl("reject", leaf_id, "--stop", "-m", "enough")
    assert code == 0, err
    assert d.wait_leaf(leaf_id)["state"] == "rejected"
    he.wait_until(lambda: "notification_failed not recorded" in d.log_text(), 30,
                  what="the late outcome to be dropped")
    assert d.events(leaf_id)[-1]["type"] == "leaf_finished"
    assert not events_of(d, leaf_id, "notification_failed")
    assert d.alive() and d.request("GET", "/readyz").status == 200


def test_a_command_notifier_gets_the_json_on_stdin(make_daemon, fake, workdir, tmp_path):
    out = tmp_path / "notified.json"
    script = f"cat > {shlex.quote(str(out))}.tmp && env > {shlex.quote(str(out))}.env " \
             f"&& mv {shlex.quote(str(out))}.tmp {shlex.quote(str(out))}"
    notifiers = {"pager": {"command": ["/bin/sh", "-c", script], "secret_env": SECRET_ENV},
                 "broken": {"command": ["/bin/sh", "-c", "echo no pager here >&2; exit 3"],
                            "attempts": 2, "retry_backoff": "100ms"}}
    d = notify_daemon(make_daemon, notifiers, ["pager", "broken"])
    fake.set_script([bash(PUSH), {"text": "pushed"}])
    leaf_id = d.submit("push it", "--workdir", workdir)
    wait_parked(d, leaf_id)

    sent = wait_event(d, leaf_id, "notification_sent", notifier="pager")
    assert sent["data"]["channel"] == "command" and sent["data"]["status"] == 0
    n = json.loads(out.read_text())
    assert n["leaf"] == leaf_id and n["gate"] == 1 and n["command"] == PUSH
    assert n["approve"] == f"harnessctl approve {leaf_id} --gate 1"
    env = dict(line.split("=", 1) for line in (tmp_path / "notified.json.env").read_text().splitlines()
               if "=" in line)
    # A minimal environment: the daemon's own (its API keys, the secret) is not passed on.
    assert env["HARNESS_NOTIFY_LEAF"] == leaf_id and env["HARNESS_NOTIFY_GATE"] == "1"
    assert he.API_KEY_ENV not in env and SECRET_ENV not in env
    signed = env["HARNESS_NOTIFY_TIMESTAMP"].encode() + b"." + out.read_bytes()
    assert env["HARNESS_NOTIFY_SIGNATURE"] == \
        "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()

    failed = wait_event(d, leaf_id, "notification_failed", notifier="broken")
    assert failed["data"]["attempts"] == 2 and failed["data"]["status"] == 3
    assert failed["data"]["error"] == "exit status 3: no pager here"
    code, _, err = d.ctl("reject", leaf_id, "--stop")
    assert code == 0, err
    assert d.wait_leaf(leaf_id)["state"] == "rejected"


def test_sighup_picks_up_changed_notifiers(make_daemon, fake, workdir, receiver):
    first, second = receiver(), receiver()
    d = notify_daemon(make_daemon, {"a": {"url": first.url}}, [])
    fake.set_script([bash(PUSH), bash(PUSH2), {"text": "done"}])
    leaf_id = d.submit("push twice", "--workdir", workdir)
    wait_parked(d, leaf_id, gate=1)

    d.config["notify"] = {"a": {"url": first.url}, "b": {"url": second.url}}
    d.config["policies"]["default"]["notify"] = ["b"]
    d.write_config()
    before = d.log_text().count("SIGHUP: config reloaded")
    d.proc.send_signal(signal.SIGHUP)
    he.wait_until(lambda: d.log_text().count("SIGHUP: config reloaded") > before, 20,
                  what="the reload")
    code, _, err = d.ctl("approve", leaf_id)
    assert code == 0, err
    wait_parked(d, leaf_id, gate=2)
    [req] = second.got(1)
    assert json.loads(req["body"])["gate"] == 2
    assert first.requests == [], "a notifier the policy did not name was told"
    wait_event(d, leaf_id, "notification_sent", notifier="b", gate=2)
    code, _, err = d.ctl("reject", leaf_id, "--stop")
    assert code == 0, err
    assert d.wait_leaf(leaf_id)["state"] == "rejected"
