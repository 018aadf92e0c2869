"""Sessions have owners (issue #8 items 4 and 6, docs/security.md): with real throwaway Unix
accounts, a second account can neither read nor resume the first one's leaves (403, harnessctl
exit 4) nor see them in `ls`; an admin can; a resume may only narrow its session; idempotency
keys are per account; `doctor` needs the admin role and names its sandboxes uniquely per run.

Needs root and useradd/userdel/groupadd/groupdel/runuser: the accounts get unique names and are
removed afterwards. Leaves here never run a tool (no sandbox needed) unless said otherwise."""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import pytest

import harness_env as he

TERMINAL = ("succeeded", "failed", "rejected", "cancelled")
GATED = [{"tool_calls": [{"name": "bash", "input": {"command": "echo deploy"}}]}, {"text": "done"}]


def run(*argv):
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"{' '.join(argv)} exited {p.returncode}: {p.stderr}"


class Accounts:
    """alice and bob may submit; carol approves; all three are in the socket's group."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:6]
        self.group = f"hx-own-{suffix}"
        self.approvers = f"hx-own-appr-{suffix}"
        self.alice, self.bob, self.carol = (f"hx-{n}-{suffix}" for n in ("alice", "bob", "carol"))
        self._users, self._groups = [], []

    def create(self):
        for g in (self.group, self.approvers):
            run("groupadd", g)
            self._groups.append(g)
        for user, groups in ((self.alice, [self.group]), (self.bob, [self.group]),
                             (self.carol, [self.group, self.approvers])):
            run("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", "-G", ",".join(groups), user)
            self._users.append(user)
        return self

    def remove(self):
        for u in self._users:
            subprocess.run(["userdel", u], capture_output=True, timeout=60)
        for g in self._groups:
            subprocess.run(["groupdel", g], capture_output=True, timeout=60)

    def owner(self, user):
        return f"uid:{pwd.getpwnam(user).pw_uid}"


@pytest.fixture(scope="module")
def accounts():
    he.require("root", "creates throwaway Unix accounts and runs harnessctl as them")
    he.require("accounts", "creates throwaway Unix accounts (useradd) and runs harnessctl as them")
    a = Accounts()
    try:
        yield a.create()
    finally:
        a.remove()


@pytest.fixture
def shared_dir():
    """A 0755 directory holding the socket and copies of harnessctl and harness_env.py that the
    throwaway accounts can reach (the tests' own tmp dirs are 0700)."""
    d = Path(tempfile.mkdtemp(prefix="hx-own-", dir="/tmp"))
    d.chmod(0o755)
    for src in (Path(he.harnessctl_path()), Path(he.__file__)):
        shutil.copy(src, d / src.name)
        (d / src.name).chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def owned(daemon_factory, accounts, shared_dir, fake):
    """A daemon with [auth]: the group submits, carol's group approves, root is admin."""
    extra = {
        "auth": {"socket_group": accounts.group, "submit": [f"group:{accounts.group}"],
                 "approve": [f"group:{accounts.approvers}"], "admin": ["user:root"]},
        "policies": {"default": {"ask": ["bash:echo deploy*"]}},
    }
    sandboxes = {"default": {"driver": "bwrap", "network": False},
                 "networked": {"driver": "bwrap", "network": True}}
    d = he.use_tree_config(daemon_factory(extra=extra, sandboxes=sandboxes, start=False))
    d.socket = shared_dir / "harnessd.sock"
    fake.set_script([], default={"text": "done"})
    return d.start()


def ctl_as(user, d, shared_dir, *args, timeout=60):
    """`harnessctl --socket SOCK ARGS…` as `user`: (exit code, stdout, stderr)."""
    argv = ["runuser", "-u", user, "--", str(shared_dir / "harnessctl"), "--socket", str(d.socket),
            *[str(a) for a in args]]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=d.ctl_env(),
                       stdin=subprocess.DEVNULL, cwd=shared_dir)
    return p.returncode, p.stdout, p.stderr


def api_as(user, d, shared_dir, method, path, body=None):
    """One API request over the socket as `user`: (status, body text)."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import harness_env as he; "
            "r = he.unix_request(sys.argv[2], sys.argv[3], sys.argv[4], "
            "json.loads(sys.argv[5]) if sys.argv[5] else None, timeout=30); "
            "print(r.status); sys.stdout.write(r.raw.decode('utf-8', 'replace'))")
    argv = ["runuser", "-u", user, "--", sys.executable, "-c", code, str(shared_dir), str(d.socket),
            method, path, json.dumps(body) if body is not None else ""]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=shared_dir,
                       env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    assert p.returncode == 0, p.stderr
    status, _, text = p.stdout.partition("\n")
    return int(status), text


def submit_as(user, d, shared_dir, prompt, *flags):
    code, out, err = ctl_as(user, d, shared_dir, "submit", "-q", prompt, *flags)
    assert code == 0, f"submit as {user} exited {code}: {err}"
    return out.strip()


def ls_as(user, d, shared_dir):
    code, out, err = ctl_as(user, d, shared_dir, "ls", "-o", "json")
    assert code == 0, err
    return set(he.ls_ids(out))


def test_a_second_account_cannot_read_resume_or_list_the_first_ones_leaves(owned, accounts,
                                                                            shared_dir):
    d, a = owned, accounts
    alices = submit_as(a.alice, d, shared_dir, "alice's private task")
    leaf = d.wait_leaf(alices)  # root is admin: it may read everything
    assert leaf["state"] == "succeeded" and leaf["owner"] == a.owner(a.alice)
    session = leaf["session"]
    bobs = submit_as(a.bob, d, shared_dir, "bob's task")
    d.wait_leaf(bobs)

    for args in (("status", alices), ("logs", alices), ("logs", "-f", alices),
                 ("wait", alices, "--timeout", "5s"), ("resume", session, "more")):
        code, out, err = ctl_as(a.bob, d, shared_dir, *args)
        assert code == 4, f"bob ran {args}: exit {code}: {out} {err}"
        assert "alice's private task" not in out + err
    code, _, err = ctl_as(a.bob, d, shared_dir, "status", alices)
    assert "may not read" in err, f"the refusal must say why: {err!r}"
    for path in (f"/v1/leaves/{alices}", f"/v1/leaves/{alices}/events",
                 f"/v1/leaves/{alices}/events?follow=1", f"/v1/leaves/{alices}/wait?timeout=1",
                 f"/v1/sessions/{session}"):
        status, text = api_as(a.bob, d, shared_dir, "GET", path)
        assert status == 403, f"GET {path} as bob: {status} {text}"
        assert "private task" not in text
    assert ls_as(a.bob, d, shared_dir) == {bobs}
    assert [l["id"] for l in d.leaves()] == [bobs, alices], "no second leaf on alice's session"

    assert ls_as(a.alice, d, shared_dir) == {alices}
    code, out, err = ctl_as(a.alice, d, shared_dir, "status", alices, "-o", "json")
    assert code == 0 and json.loads(out)["prompt"] == "alice's private task", err
    status, text = api_as(a.alice, d, shared_dir, "GET", f"/v1/sessions/{session}")
    assert status == 200 and json.loads(text)["owner"] == a.owner(a.alice), text

    # root, the admin, reads and resumes alice's session; the new leaf stays alice's.
    assert ls_as("root", d, shared_dir) >= {alices, bobs}
    code, out, err = d.ctl("resume", session, "admin follow-up", "-q")
    assert code == 0, err
    follow_up = d.wait_leaf(out.strip())
    assert follow_up["owner"] == a.owner(a.alice) and follow_up["submitted_by"]["name"] == "root"
    code, out, err = ctl_as(a.alice, d, shared_dir, "resume", session, "and more", "-q")
    assert code == 0, err
    d.wait_leaf(out.strip())


def test_an_approver_reads_the_leaves_whose_gates_they_decide(owned, accounts, shared_dir, fake):
    d, a = owned, accounts
    fake.set_script(GATED)
    gated = submit_as(a.alice, d, shared_dir, "deploy it")
    he.wait_until(lambda: d.leaf(gated)["state"] == "awaiting_approval", 30, what="the gate")
    code, out, err = ctl_as(a.carol, d, shared_dir, "status", gated)
    assert code == 0, err
    code, out, err = ctl_as(a.carol, d, shared_dir, "approvals", "-o", "json")
    assert code == 0 and gated in [g["leaf"] for g in json.loads(out)["approvals"]], err
    assert gated in ls_as(a.carol, d, shared_dir)
    code, out, err = ctl_as(a.bob, d, shared_dir, "approvals", "-o", "json")
    assert code == 0 and json.loads(out)["approvals"] == [], out
    d.ctl("cancel", gated)


def test_a_resume_may_only_narrow_its_session(owned, accounts, shared_dir):
    d, a = owned, accounts
    first = submit_as(a.alice, d, shared_dir, "limited", "--max-turns", "3", "--timeout", "10m")
    session = d.wait_leaf(first)["session"]

    for flags, words in ((("--sandbox", "networked"), "sandbox profile 'default', not 'networked'"),
                         (("--max-turns", "10"), "at most 3 turns"),
                         (("--timeout", "2h"), "timeout of 10m0s"),
                         (("--workdir", "/tmp"), "not /tmp")):
        code, out, err = ctl_as(a.alice, d, shared_dir, "resume", session, "wider", *flags)
        assert code == 4, f"resume {flags} exited {code}: {out} {err}"
        assert words in err, err
    assert [l["id"] for l in d.leaves()] == [first], "a refused resume wrote nothing"

    narrower = submit_as(a.alice, d, shared_dir, "narrower", "--session", session, "--max-turns", "2")
    leaf = d.wait_leaf(narrower)
    assert leaf["max_turns"] == 2 and leaf["timeout_s"] == 600 and leaf["sandbox"] == "default"
    inherited = submit_as(a.alice, d, shared_dir, "same", "--session", session)
    assert d.wait_leaf(inherited)["max_turns"] == 2

    code, out, err = d.ctl("resume", session, "wider, by root", "-q", "--max-turns", "10",
                           "--sandbox", "networked")
    assert code == 0, err
    wider = d.wait_leaf(out.strip())
    assert wider["max_turns"] == 10 and wider["sandbox"] == "networked"


def test_idempotency_keys_are_per_account(owned, accounts, shared_dir):
    d, a = owned, accounts
    key = f"deploy-{uuid.uuid4().hex[:8]}"
    alices = submit_as(a.alice, d, shared_dir, "same words", "--idempotency-key", key)
    bobs = submit_as(a.bob, d, shared_dir, "same words", "--idempotency-key", key)
    assert alices != bobs, "bob got alice's leaf for her key"
    assert d.leaf(bobs)["owner"] == a.owner(a.bob)
    assert submit_as(a.alice, d, shared_dir, "same words", "--idempotency-key", key) == alices

    code, out, err = ctl_as(a.alice, d, shared_dir, "submit", "-q", "other words",
                            "--idempotency-key", key)
    assert code != 0 and "idempotency key" in err and alices in err, (code, out, err)
    status, text = api_as(a.alice, d, shared_dir, "POST", "/v1/leaves", {"prompt": "other words"})
    assert status == 201, text  # without a key: a new leaf
    keyed = {"prompt": "other words"}
    r = he.unix_request(d.socket, "POST", "/v1/leaves", keyed, headers={"Idempotency-Key": key})
    assert r.status == 201, r  # root's own key space
    r = he.unix_request(d.socket, "POST", "/v1/leaves", {"prompt": "third"},
                        headers={"Idempotency-Key": key})
    assert r.status == 409 and r.json["error"]["code"] == "conflict", r


def test_doctor_needs_the_admin_role(owned, accounts, shared_dir):
    code, out, err = ctl_as(accounts.alice, owned, shared_dir, "doctor")
    assert code == 4, out + err
    assert "admin" in err
    code, out, err = owned.ctl("doctor", "-o", "json", timeout=120)
    assert code in (0, 3), out + err
    assert json.loads(out)["checks"]


def test_concurrent_doctors_start_their_own_containers(make_daemon, fake):
    import test_podman as tp
    image = podman_image(tp)
    box = {"driver": "podman", "global_args": tp.GLOBAL_ARGS, "image": image,
           "create_args": tp.ULIMITS}
    d = make_daemon(sandboxes={"default": {"driver": "bwrap"}, "box": box})
    results = []

    def one():
        results.append(d.ctl("doctor", "-o", "json", timeout=180))

    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for code, out, err in results:
        checks = {c["name"]: c for c in json.loads(out)["checks"]}
        assert checks["box"]["ok"], checks["box"]

    def doctors_containers():
        names = tp.podman("ps", "-a", "--format", "{{.Names}}").stdout.split()
        return [n for n in names if n.startswith("harness-doctor-box-")]
    # Each run removed its own container (in the background, after answering).
    he.wait_until(lambda: not doctors_containers(), 60, interval=0.5,
                  what="the doctors' containers to be removed")


def podman_image(tp):
    """test_podman's busybox image, built here (skips like test_podman when it cannot be; fails
    in CI mode)."""
    he.require("podman", "runs a podman sandbox")
    he.require("busybox", "builds its container image from /bin/busybox")
    tmp = Path(tempfile.mkdtemp(prefix="hx-img-"))
    try:
        tp.build_image(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    r = tp.podman("run", "--rm", *tp.ULIMITS, tp.IMAGE, "true")
    if r.returncode != 0:
        he.unavailable("podman", f"podman --runtime runc run fails on this machine: {r.stderr.strip()}")
    return tp.IMAGE


def test_fork_follows_the_resume_rules_and_belongs_to_the_caller(owned, accounts, shared_dir):
    """Fork (SPEC §11): the owner or an admin, narrowing only; the new session is the caller's."""
    d, a = owned, accounts
    first = submit_as(a.alice, d, shared_dir, "alice's private task", "--max-turns", "3")
    session = d.wait_leaf(first)["session"]

    code, out, err = ctl_as(a.bob, d, shared_dir, "fork", session, "mine now")
    assert code == 4, f"bob forked alice's session: exit {code}: {out} {err}"
    assert "private task" not in out + err
    status, text = api_as(a.bob, d, shared_dir, "POST", f"/v1/sessions/{session}/fork",
                          {"prompt": "mine now"})
    assert status == 403, text
    code, out, err = ctl_as(a.alice, d, shared_dir, "fork", session, "wider", "--max-turns", "10")
    assert code == 4 and "at most 3 turns" in err, (code, out, err)
    assert [l["id"] for l in d.leaves()] == [first], "a refused fork wrote nothing"

    code, out, err = ctl_as(a.alice, d, shared_dir, "fork", session, "again", "-q")
    assert code == 0, err
    forked = d.wait_leaf(out.strip())
    assert forked["session"] != session and forked["owner"] == a.owner(a.alice)
    assert forked["max_turns"] == 3 and forked["forked_from"]["session"] == session

    # root, the admin, may fork alice's session and widen it; the fork is root's.
    code, out, err = d.ctl("fork", session, "by root", "-q", "--max-turns", "10")
    assert code == 0, err
    by_root = d.wait_leaf(out.strip())
    assert by_root["owner"] == "uid:0" and by_root["max_turns"] == 10
    code, out, err = ctl_as(a.alice, d, shared_dir, "status", by_root["id"])
    assert code == 4, (out, err)
