"""Identity and roles (issue #3, SPEC §11, docs/api.md "Identity and roles") with real Unix
accounts: the daemon reads the caller's uid from the socket (SO_PEERCRED) and grants `submit`,
`approve`, `admin` from `[auth]`; the socket is 0660 with the configured group; `four_eyes`
forbids deciding your own leaf; the verdict event names the approver. Plus bearer tokens on TCP.

The account tests need root and useradd/groupadd/runuser: they create throwaway users and groups
with unique names and remove them afterwards. The TCP test needs neither."""

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

import harness_env as he

RULE = "bash:echo pushing*"
PUSH = "echo pushing > pushed.txt"
SCRIPT = [{"tool_calls": [{"name": "bash", "input": {"command": PUSH}}]}, {"text": "pushed"}]
TERMINAL = ("succeeded", "failed", "rejected", "cancelled")


def bwrap_ok():
    """Skips (fails in CI mode) unless bubblewrap works (approved calls run in the sandbox)."""
    he.require("bwrap", "runs approved calls in the sandbox")


def run(*argv):
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"{' '.join(argv)} exited {p.returncode}: {p.stderr}"


class Accounts:
    """Three users and two groups, unique per run: alice and bob in `users` (may use the socket),
    alice also in `approvers`; eve in neither."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:6]
        self.users_group = f"hx-users-{suffix}"
        self.approvers_group = f"hx-approvers-{suffix}"
        self.alice, self.bob, self.eve = (f"hx-{n}-{suffix}" for n in ("alice", "bob", "eve"))
        self._groups, self._users = [], []

    def create(self):
        for g in (self.users_group, self.approvers_group):
            run("groupadd", g)
            self._groups.append(g)
        for user, groups in ((self.alice, [self.users_group, self.approvers_group]),
                             (self.bob, [self.users_group]), (self.eve, [])):
            extra = ["-G", ",".join(groups)] if groups else []
            run("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", *extra, user)
            self._users.append(user)
        return self

    def remove(self):
        for u in self._users:
            subprocess.run(["userdel", u], capture_output=True, timeout=60)
        for g in self._groups:
            subprocess.run(["groupdel", g], capture_output=True, timeout=60)

    def uid(self, user):
        return pwd.getpwnam(user).pw_uid


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
    """A 0755 directory under /tmp holding the socket and a copy of harnessctl, so that the
    throwaway users can reach both (the test's own tmp dirs are 0700)."""
    d = Path(tempfile.mkdtemp(prefix="hx-auth-", dir="/tmp"))
    d.chmod(0o755)
    ctl = d / "harnessctl"
    shutil.copy(he.harnessctl_path(), ctl)
    ctl.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def auth_daemon(daemon_factory, accounts, shared_dir):
    bwrap_ok()
    extra = {
        "auth": {"socket_group": accounts.users_group,
                 "submit": [f"group:{accounts.users_group}"],
                 "approve": [f"group:{accounts.approvers_group}"],
                 "admin": ["user:root"]},
        "policies": {"default": {"ask": [RULE], "four_eyes": True}},
    }
    d = he.use_tree_config(daemon_factory(extra=extra, start=False))
    d.socket = shared_dir / "harnessd.sock"
    return d.start()


def ctl_as(user, d, shared_dir, *args, timeout=60):
    """`harnessctl --socket SOCK ARGS…` run as `user`; returns (exit code, stdout, stderr)."""
    argv = ["runuser", "-u", user, "--", str(shared_dir / "harnessctl"), "--socket", str(d.socket),
            *[str(a) for a in args]]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=d.ctl_env(),
                       stdin=subprocess.DEVNULL, cwd=shared_dir)
    return p.returncode, p.stdout, p.stderr


def submit_as(user, d, shared_dir, prompt):
    code, out, err = ctl_as(user, d, shared_dir, "submit", "-q", prompt)
    assert code == 0, f"submit as {user} exited {code}: {err}"
    return out.strip()


def wait_parked(d, leaf_id, timeout=30):
    def parked():
        leaf = d.leaf(leaf_id)
        assert leaf["state"] not in TERMINAL, f"leaf ended instead of parking: {leaf}"
        return leaf if leaf["state"] == "awaiting_approval" else None
    return he.wait_until(parked, timeout, interval=0.1, what=f"{leaf_id} to park at a gate")


def test_the_socket_is_0660_with_the_configured_group(auth_daemon, accounts):
    st = os.stat(auth_daemon.socket)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660, oct(stat.S_IMODE(st.st_mode))
    assert grp.getgrgid(st.st_gid).gr_name == accounts.users_group


def test_only_approvers_decide_and_never_their_own_leaf(auth_daemon, accounts, shared_dir, fake):
    d, a = auth_daemon, accounts
    fake.set_script(SCRIPT)

    bobs = submit_as(a.bob, d, shared_dir, "push it, bob")
    leaf = wait_parked(d, bobs)
    assert leaf["submitted_by"]["name"] == a.bob and leaf["submitted_by"]["uid"] == a.uid(a.bob)
    assert leaf["submitted_by"]["transport"] == "unix"

    code, _, err = ctl_as(a.bob, d, shared_dir, "approve", bobs, "-m", "self-service")
    assert code == 4, f"bob has no approve role, yet approve exited {code}: {err}"
    assert "approve" in err, f"the refusal must name the missing role: {err!r}"
    assert "gate_decided" not in d.event_types(bobs)

    code, out, err = ctl_as(a.alice, d, shared_dir, "approve", bobs, "-m", "lgtm")
    assert code == 0, err
    assert f"approved gate 1 of {bobs}" in out
    [decided] = [e for e in d.events(bobs) if e["type"] == "gate_decided"]
    by = decided["data"]["by"]
    assert by["name"] == a.alice and by["uid"] == a.uid(a.alice) and by["transport"] == "unix"
    assert decided["data"]["message"] == "lgtm"
    assert d.wait_leaf(bobs)["state"] == "succeeded"
    code, out, err = ctl_as(a.bob, d, shared_dir, "logs", bobs)
    assert code == 0, err
    assert f"gate 1 approved by {a.alice}: lgtm" in out

    alices = submit_as(a.alice, d, shared_dir, "push it, alice")
    wait_parked(d, alices)
    code, out, err = ctl_as(a.bob, d, shared_dir, "approvals", "-o", "json")
    assert code == 0, err
    assert alices not in [g["leaf"] for g in json.loads(out)["approvals"]], \
        "bob may neither decide alice's gate nor see it"
    code, out, err = ctl_as(a.alice, d, shared_dir, "approvals", "-o", "json")
    assert code == 0 and alices in [g["leaf"] for g in json.loads(out)["approvals"]], err

    code, _, err = ctl_as(a.alice, d, shared_dir, "approve", alices)
    assert code == 4, f"four_eyes: alice approved her own leaf (exit {code}): {err}"
    assert "four_eyes" in err, f"the refusal must name the rule: {err!r}"
    assert d.leaf(alices)["state"] == "awaiting_approval"

    code, _, err = d.ctl("reject", alices, "--stop", "-m", "cleanup by admin")  # root is admin
    assert code == 0, err
    assert d.wait_leaf(alices)["state"] == "rejected"


def test_a_user_outside_the_socket_group_cannot_connect(auth_daemon, accounts, shared_dir):
    code, _, err = ctl_as(accounts.bob, auth_daemon, shared_dir, "ls")
    assert code == 0, f"bob, in the socket group, must get in: {err}"
    code, _, err = ctl_as(accounts.eve, auth_daemon, shared_dir, "ls")
    assert code in (4, 10), f"eve reached the daemon (exit {code}): {err}"
    assert "ermission denied" in err, f"no clear message: {err!r}"


# ---------------------------------------------------------------- TCP and bearer tokens

CI_TOKEN = "hx-ci-token-3b9f0c2e8d41a7"
REL_TOKEN = "hx-release-token-5c1d77e09ab2f4"


def tcp(port, method, path, token=None, body=None):
    """One request over TCP; returns (status, parsed JSON body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, None


def test_tcp_needs_a_bearer_token_with_the_role(make_daemon, fake):
    me = pwd.getpwuid(os.getuid()).pw_name
    port = he.closed_port()
    extra = {
        "auth": {"socket_group": grp.getgrgid(os.getgid()).gr_name, "submit": [f"user:{me}"], "approve": [f"user:{me}"], "admin": [f"user:{me}"],
                 "tokens": {"ci": {"token": CI_TOKEN, "roles": ["submit"]},
                            "rel": {"token": REL_TOKEN, "roles": ["approve"]}}},
        "policies": {"default": {}},
    }
    d = he.use_tree_config(make_daemon(extra=extra, start=False))
    base_argv = d.argv
    d.argv = lambda: base_argv() + ["--listen", f"127.0.0.1:{port}"]
    d.start()
    fake.set_script(SCRIPT)

    status, body = tcp(port, "GET", "/v1/leaves")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert tcp(port, "GET", "/v1/leaves", token="not-a-token")[0] == 401
    assert tcp(port, "GET", "/v1/leaves", token=CI_TOKEN)[0] == 200

    status, leaf = tcp(port, "POST", "/v1/leaves", CI_TOKEN, {"prompt": "push it", "ask": [RULE]})
    assert status == 201, leaf
    assert leaf["submitted_by"]["name"] == "ci" and leaf["submitted_by"]["transport"] == "tcp"
    assert leaf["submitted_by"]["uid"] is None
    wait_parked(d, leaf["id"])

    status, body = tcp(port, "POST", f"/v1/leaves/{leaf['id']}/approve", CI_TOKEN, {"message": "me"})
    assert status == 403 and body["error"]["code"] == "forbidden", body

    def ctl_tcp(token, *args):
        env = {**d.ctl_env(), "HARNESS_TOKEN": token}
        p = subprocess.run([he.harnessctl_path(), "--url", f"http://127.0.0.1:{port}", *args],
                           capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    assert ctl_tcp(CI_TOKEN, "approve", leaf["id"])[0] == 4
    assert ctl_tcp("wrong", "status", leaf["id"])[0] == 4
    code, out, err = ctl_tcp(REL_TOKEN, "approve", leaf["id"], "-m", "via tcp")
    assert code == 0, err
    assert "approved gate 1" in out

    [decided] = [e for e in d.events(leaf["id"]) if e["type"] == "gate_decided"]
    assert decided["data"]["by"]["name"] == "rel" and decided["data"]["by"]["transport"] == "tcp"
    assert d.wait_leaf(leaf["id"])["state"] == "succeeded"
    log = d.log_text()
    assert CI_TOKEN not in log and REL_TOKEN not in log, "a bearer token reached the daemon log"
