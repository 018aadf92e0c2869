"""A submitter can do no more than their own account could (issue #8 items 1-3, SPEC §11,
docs/security.md): a root daemon runs a leaf's tools as the submitting account; a workdir must
be one that account may write (and lie under [auth] workdir_roots); the daemon never follows a
symlink out of a workspace (gate previews, --input files).

The account tests need root and useradd/userdel/groupadd/groupdel/runuser: they create
throwaway users with unique names and remove them afterwards."""

import grp
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

import harness_env as he
from test_podman import GLOBAL_ARGS, ULIMITS, image, sandbox0  # noqa: F401 (fixtures)

TERMINAL = ("succeeded", "failed", "rejected", "cancelled")
CANARY = "HX-CANARY-" + uuid.uuid4().hex


def accounts_unavailable():
    if os.geteuid() != 0:
        return "needs root: the daemon must be root to run leaves as other accounts, and the test creates them"
    missing = [t for t in ("useradd", "userdel", "groupadd", "groupdel", "runuser", "setpriv")
               if not shutil.which(t)]
    return f"needs {', '.join(missing)} on PATH" if missing else None


def run(*argv):
    p = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, f"{' '.join(argv)} exited {p.returncode}: {p.stderr}"


class Accounts:
    """alice and bob, both in one group that may use the socket and submit."""

    def __init__(self):
        suffix = uuid.uuid4().hex[:6]
        self.group = f"hx-ra-{suffix}"
        self.alice, self.bob = f"hx-ra-alice-{suffix}", f"hx-ra-bob-{suffix}"
        self._users, self._group_made = [], False

    def create(self):
        run("groupadd", self.group)
        self._group_made = True
        for u in (self.alice, self.bob):
            run("useradd", "-M", "-N", "-s", "/usr/sbin/nologin", "-G", self.group, u)
            self._users.append(u)
        return self

    def remove(self):
        for u in self._users:
            subprocess.run(["userdel", u], capture_output=True, timeout=60)
        if self._group_made:
            subprocess.run(["groupdel", self.group], capture_output=True, timeout=60)

    def uid(self, user):
        return pwd.getpwnam(user).pw_uid

    def gid(self, user):
        return pwd.getpwnam(user).pw_gid


@pytest.fixture(scope="module")
def accounts():
    why = accounts_unavailable()
    if why:
        he.unavailable("accounts", why)
    a = Accounts()
    try:
        yield a.create()
    finally:
        a.remove()


@pytest.fixture
def shared(accounts):
    """A 0755 dir under /tmp for the socket, a harnessctl copy and each account's own 0700
    workdir (the test's tmp dirs are 0700 root: the accounts could not reach them)."""
    d = Path(tempfile.mkdtemp(prefix="hx-runas-", dir="/tmp"))
    d.chmod(0o755)
    shutil.copy(he.harnessctl_path(), d / "harnessctl")
    (d / "harnessctl").chmod(0o755)
    for user in (accounts.alice, accounts.bob):
        w = d / f"work-{user}"
        w.mkdir()
        os.chown(w, accounts.uid(user), accounts.gid(user))
        w.chmod(0o700)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def workdir_of(shared, user):
    return shared / f"work-{user}"


def runas_daemon(daemon_factory, accounts, shared, extra_auth=None, policies=None, argv_extra=(),
                 sandboxes=None):
    ok, why = he.bwrap_works()
    if not ok:
        he.unavailable("bwrap", f"bubblewrap cannot create a sandbox on this machine: {why}")
    auth = {"socket_group": accounts.group, "submit": [f"group:{accounts.group}"],
            "approve": ["user:root"], "admin": ["user:root"], **(extra_auth or {})}
    boxes = {"default": {"driver": "bwrap", "network": False}, **(sandboxes or {})}
    d = he.use_tree_config(daemon_factory(extra={"auth": auth, "policies": policies or {"default": {}}},
                                          sandboxes=boxes, start=False))
    d.socket = shared / "harnessd.sock"
    if argv_extra:
        base = d.argv
        d.argv = lambda: base() + list(argv_extra)
    return d.start()


def ctl_as(user, d, shared, *args, timeout=60):
    """`harnessctl --socket SOCK ARGS…` as `user` (uid, gid and groups); (code, out, err)."""
    argv = ["runuser", "-u", user, "--", str(shared / "harnessctl"), "--socket", str(d.socket),
            *[str(a) for a in args]]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=d.ctl_env(),
                       stdin=subprocess.DEVNULL, cwd=shared)
    return p.returncode, p.stdout, p.stderr


def bash(command):
    return {"tool_calls": [{"name": "bash", "input": {"command": command}}]}


def tree(path):
    """Every name under `path` (not following symlinks), for nothing-was-written checks."""
    out = set()
    for root, dirs, files in os.walk(path):
        out.update(os.path.join(root, n) for n in dirs + files)
    return out


def leaf_count(d):
    return len(d.leaves())


# ---------------------------------------------------------------- what runs as whom


def test_tools_run_as_the_caller_and_what_they_write_is_theirs(daemon_factory, accounts, shared, fake):
    d = runas_daemon(daemon_factory, accounts, shared)
    a = accounts
    work = workdir_of(shared, a.alice)
    (shared / "notes.txt").write_text("from alice's terminal\n")
    fake.set_script([bash("id -u > uid.txt; id -G > groups.txt; mkdir sub && echo hi > sub/made.txt"),
                     {"tool_calls": [{"name": "write_file", "input": {"path": "written.txt", "content": "x\n"}}]},
                     {"text": "done"}])
    code, out, err = ctl_as(a.alice, d, shared, "run", "write some files", "--workdir", work,
                            "--input", shared / "notes.txt")
    assert code == 0, f"run as alice exited {code}: {err}"
    # The daemon lists what alice's tools wrote, walking her workdir as alice; the input was
    # copied in before the leaf started.
    listed = err[err.index("files changed in the workspace"):]
    assert all(f"+ {n} (" in listed for n in ("groups.txt", "sub/made.txt", "uid.txt", "written.txt")), err
    assert "notes.txt" not in listed, err
    uid, gid = a.uid(a.alice), a.gid(a.alice)
    assert (work / "uid.txt").read_text().split() == [str(uid)], "the tools did not run as alice"
    groups = (work / "groups.txt").read_text().split()
    assert str(gid) in groups, groups
    assert str(grp.getgrnam(a.group).gr_gid) in groups, f"alice's supplementary group is missing: {groups}"
    for name in ("uid.txt", "sub", "sub/made.txt", "written.txt", "notes.txt"):
        st = os.stat(work / name)
        assert (st.st_uid, st.st_gid) == (uid, gid), f"{name} belongs to {st.st_uid}:{st.st_gid}, not alice"
    [leaf] = [x for x in d.leaves() if x["workdir"] == str(work)]
    assert leaf["run_as"]["uid"] == uid and leaf["run_as"]["name"] == a.alice
    assert leaf["run_as"]["gid"] == gid


def test_a_fresh_workspace_belongs_to_the_caller(daemon_factory, accounts, shared, fake):
    d = runas_daemon(daemon_factory, accounts, shared)
    fake.set_script([bash("echo fresh > f.txt; id -u"), {"text": "ok"}])
    code, out, err = ctl_as(accounts.bob, d, shared, "submit", "-q", "--wait", "in a fresh workspace")
    assert code == 0, err
    leaf = d.leaf(out.strip())
    ws = Path(leaf["workspace"])
    assert ws.stat().st_uid == accounts.uid(accounts.bob)
    assert (ws / "f.txt").stat().st_uid == accounts.uid(accounts.bob)
    assert (ws / "f.txt").read_text() == "fresh\n"


def test_containers_per_leaf_run_as_the_caller_existing_ones_as_their_own_user(
        daemon_factory, accounts, shared, fake, image, sandbox0):
    a = accounts
    boxes = {"fresh": {"driver": "podman", "global_args": GLOBAL_ARGS, "image": image, "create_args": ULIMITS},
             "shared": {"driver": "podman", "global_args": GLOBAL_ARGS, "container": sandbox0}}
    d = runas_daemon(daemon_factory, accounts, shared, sandboxes=boxes)
    work = workdir_of(shared, a.alice)
    (work / "mine.txt").write_text("alice's\n")
    os.chown(work / "mine.txt", a.uid(a.alice), a.gid(a.alice))
    (work / "mine.txt").chmod(0o600)
    canary = shared / "canary"  # root's, 0600: only a copy-in that followed `leak` could read it
    canary.write_text(CANARY + "\n")
    canary.chmod(0o600)
    subprocess.run(["runuser", "-u", a.alice, "--", "ln", "-s", str(canary), str(work / "leak")], check=True)
    fake.set_script([bash("id -u > who.txt; cat mine.txt; cat leak"), {"text": "ok"}])
    code, out, err = ctl_as(a.alice, d, shared, "submit", "x", "-q", "--wait", "--sandbox", "fresh",
                            "--workdir", work, timeout=180)
    assert code == 0, f"{err} {d.leaf(out.strip())['message'] if out.strip() else ''}"
    assert (work / "who.txt").read_text().split() == [str(a.uid(a.alice))]
    assert (work / "who.txt").stat().st_uid == a.uid(a.alice)
    # exec into an existing container: that container's user (root here), documented; the copy
    # of the workspace into it was read on the host as alice.
    code, out, err = ctl_as(a.alice, d, shared, "submit", "y", "-q", "--wait", "--sandbox", "shared",
                            "--workdir", work, timeout=180)
    assert code == 0, f"{err} {d.leaf(out.strip())['message'] if out.strip() else ''}"
    outputs = [e["data"]["output"] for e in d.events(out.strip()) if e["type"] == "tool_finished"]
    assert "alice's" in outputs[0], outputs
    assert CANARY not in json.dumps(outputs), "the copy-in followed a symlink to a host file"


def test_under_the_shipped_unit_leaves_still_run_as_the_caller(accounts, fake):
    """harnessd.service keeps root but withholds CAP_SYS_ADMIN (and sets no_new_privs, a syscall
    filter, ProtectSystem=strict, PrivateTmp): run the daemon under those restrictions
    (tests/package/confine.py) and a leaf of alice's in her workdir under /srv."""
    ok, why = he.bwrap_works()
    if not ok:
        he.unavailable("bwrap", f"bubblewrap cannot create a sandbox on this machine: {why}")
    if not shutil.which("systemd-analyze"):
        he.unavailable("systemd-analyze", "confine.py needs it to expand the unit's syscall filter")
    a = accounts
    Path("/srv").mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="hx-runas-unit-", dir="/srv"))  # PrivateTmp hides /tmp
    try:
        root.chmod(0o755)
        shutil.copy(he.harnessctl_path(), root / "harnessctl")
        # The build tree may lie under /tmp, which the unit's PrivateTmp hides: run a copy.
        shutil.copy(he.harnessd_path(), root / "harnessd")
        work = root / "work"
        work.mkdir()
        os.chown(work, a.uid(a.alice), a.gid(a.alice))
        work.chmod(0o700)
        auth = {"socket_group": a.group, "submit": [f"group:{a.group}"], "admin": ["user:root"]}
        config = {"max_running": 2, "auth": auth, "policies": {"default": {}},
                  "models": {"default": he.anthropic_model(fake)},
                  "sandboxes": {"default": {"driver": "bwrap", "network": False}}}
        d = he.use_tree_config(he.Daemon(root / "daemon", config))
        unit = he.REPO / "share/systemd/harnessd.service.in"
        base = d.argv
        d.argv = lambda: ["unshare", "-m", "--propagation", "private", "python3",
                          str(he.REPO / "tests/package/confine.py"), str(unit),
                          "--rw", str(d.root), "--", str(root / "harnessd")] + base()[1:]
        d.start()
        try:
            fake.set_script([bash("id -u > uid.txt; ulimit -u"), {"text": "ok"}])
            code, out, err = ctl_as(a.alice, d, root, "submit", "x", "-q", "--wait", "--workdir", work,
                                    timeout=120)
            assert code == 0, f"{err} {d.leaf(out.strip())['message'] if out.strip() else ''}"
            assert (work / "uid.txt").read_text().split() == [str(a.uid(a.alice))]
            assert (work / "uid.txt").stat().st_uid == a.uid(a.alice)
        finally:
            d.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- workdir rules


@pytest.mark.parametrize("target", ["/etc", "other"])
def test_a_workdir_the_caller_may_not_write_is_refused(daemon_factory, accounts, shared, fake, target):
    d = runas_daemon(daemon_factory, accounts, shared)
    a = accounts
    wd = Path("/etc") if target == "/etc" else workdir_of(shared, a.bob)
    before, leaves, state = tree(wd), leaf_count(d), tree(d.state_dir)
    fake.set_script([bash("echo owned > hx-runas-planted"), {"text": "planted"}])
    code, out, err = ctl_as(a.alice, d, shared, "run", "--workdir", wd, "plant a file")
    assert code == 4, f"alice got {wd} as workdir (exit {code}): {out} {err}"
    assert "a workdir must be a directory its account can write" in err, err
    assert a.alice in err, f"the refusal must say whose permissions were checked: {err!r}"
    assert tree(wd) == before and not (wd / "hx-runas-planted").exists()
    assert leaf_count(d) == leaves and tree(d.state_dir) == state, "a refused submit created something"
    r = d.request("POST", "/v1/leaves", {"prompt": "x", "workdir": str(wd), "run_as": a.alice})
    assert r.status == 403 and r.json["error"]["code"] == "forbidden", r


def test_a_symlink_to_etc_in_the_callers_own_dir_is_checked_at_its_target(daemon_factory, accounts, shared, fake):
    d = runas_daemon(daemon_factory, accounts, shared)
    a = accounts
    link = workdir_of(shared, a.alice) / "etc-link"
    subprocess.run(["runuser", "-u", a.alice, "--", "ln", "-s", "/etc", str(link)], check=True)
    code, _, err = ctl_as(a.alice, d, shared, "submit", "--workdir", link, "x")
    assert code == 4 and "workdir /etc:" in err, err


def test_workdir_roots_narrow_the_workdir(daemon_factory, accounts, shared, fake):
    a = accounts
    roots_dir = shared / "ci"
    roots_dir.mkdir()
    inside = roots_dir / "job"
    inside.mkdir()
    os.chown(inside, a.uid(a.alice), a.gid(a.alice))
    d = runas_daemon(daemon_factory, accounts, shared, extra_auth={"workdir_roots": [str(roots_dir)]})
    fake.set_script([{"text": "nothing to do"}])
    code, _, err = ctl_as(a.alice, d, shared, "submit", "-q", "--wait", "--workdir", inside, "x")
    assert code == 0, err
    code, _, err = ctl_as(a.alice, d, shared, "submit", "--workdir", workdir_of(shared, a.alice), "x")
    assert code == 4 and "workdir_roots" in err, err


def test_run_as_is_for_admins_and_a_session_keeps_its_account(daemon_factory, accounts, shared, fake):
    d = runas_daemon(daemon_factory, accounts, shared)
    a = accounts
    work = workdir_of(shared, a.alice)
    code, _, err = ctl_as(a.bob, d, shared, "submit", "--run-as", a.alice, "x")
    assert code == 4 and "needs the admin role" in err, err
    fake.set_script([bash("id -u > by-admin.txt"), {"text": "ok"}])
    code, out, err = d.ctl("submit", "-q", "--wait", "--run-as", a.alice, "--workdir", work, "as alice")
    assert code == 0, err
    assert (work / "by-admin.txt").read_text().split() == [str(a.uid(a.alice))]
    assert (work / "by-admin.txt").stat().st_uid == a.uid(a.alice)
    session = d.leaf(out.strip())["session"]
    code, _, err = ctl_as(a.bob, d, shared, "resume", session, "continue as bob")
    assert code == 4, f"bob continued alice's session (exit {code}): {err}"


def test_tokens_run_as_their_account_and_without_one_only_in_fresh_workspaces(daemon_factory, accounts, shared, fake):
    a = accounts
    port = he.closed_port()
    tokens = {"ci": {"token": "hx-runas-ci-token-1", "roles": ["submit"], "run_as": a.alice},
              "bare": {"token": "hx-runas-bare-token-2", "roles": ["submit"]}}
    d = runas_daemon(daemon_factory, accounts, shared, extra_auth={"tokens": tokens},
                     argv_extra=["--listen", f"127.0.0.1:{port}"])
    work = workdir_of(shared, a.alice)

    def ctl_tcp(token, *args):
        env = {**d.ctl_env(), "HARNESS_TOKEN": token}
        p = subprocess.run([he.harnessctl_path(), "--url", f"http://127.0.0.1:{port}", *map(str, args)],
                           capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout, p.stderr

    fake.set_script([bash("id -u > by-token.txt"), {"text": "ok"}])
    code, _, err = ctl_tcp("hx-runas-ci-token-1", "submit", "-q", "--wait", "--workdir", work, "ci job")
    assert code == 0, err
    assert (work / "by-token.txt").stat().st_uid == a.uid(a.alice)
    code, _, err = ctl_tcp("hx-runas-bare-token-2", "submit", "--workdir", work, "x")
    assert code == 4 and "may only use fresh workspaces" in err, err
    code, _, err = ctl_tcp("hx-runas-bare-token-2", "submit", "-q", "x")
    assert code == 0, err


# ---------------------------------------------------------------- symlinks


def test_the_gate_preview_names_a_symlink_and_never_reads_its_target(daemon_factory, fake, tmp_path):
    """Under root (the strongest case: the daemon itself could read the canary)."""
    ok, why = he.bwrap_works()
    if not ok:
        he.unavailable("bwrap", f"bubblewrap cannot create a sandbox on this machine: {why}")
    canary = tmp_path / "canary"
    canary.write_text(CANARY + "\n")
    canary.chmod(0o600)
    d = he.use_tree_config(daemon_factory(extra={"policies": {"default": {"ask": ["write_file"]}}},
                                          start=False)).start()
    fake.set_script([bash(f"ln -s {canary} x"),
                     {"tool_calls": [{"name": "write_file", "input": {"path": "x", "content": "new\n"}}]},
                     {"text": "done"}])
    leaf_id = d.submit("overwrite x")
    he.wait_until(lambda: d.leaf(leaf_id)["state"] == "awaiting_approval" or
                  d.leaf(leaf_id)["state"] in TERMINAL, 60, what="the gate")
    leaf = d.leaf(leaf_id)
    assert leaf["state"] == "awaiting_approval", leaf
    [gate] = [g for g in d.ctl_json("approvals")["approvals"] if g["leaf"] == leaf_id]
    shown = json.dumps(gate)
    assert f"x is a symlink to {canary}; not followed" in shown, shown
    assert CANARY not in shown
    code, out, _ = d.ctl("approvals")
    assert code == 0 and "is a symlink to" in out and CANARY not in out
    events = json.dumps(d.events(leaf_id))
    assert CANARY not in events
    assert d.ctl("reject", leaf_id, "--stop")[0] == 0


def test_a_callers_gate_preview_names_a_symlink_and_never_reads_its_target(daemon_factory, accounts, shared, fake):
    """The same as alice, in her own workdir: the preview is read with her permissions, and a
    symlink to a root-only file is still named, not read (nor refused for lack of rights)."""
    d = runas_daemon(daemon_factory, accounts, shared, policies={"default": {"ask": ["write_file"]}})
    a = accounts
    canary = shared / "canary"
    canary.write_text(CANARY + "\n")
    canary.chmod(0o600)
    fake.set_script([bash(f"ln -s {canary} x; id -u"),
                     {"tool_calls": [{"name": "write_file", "input": {"path": "x", "content": "new\n"}}]},
                     {"text": "done"}])
    code, out, err = ctl_as(a.alice, d, shared, "submit", "-q", "--workdir", workdir_of(shared, a.alice),
                            "overwrite x")
    assert code == 0, err
    leaf_id = out.strip()
    he.wait_until(lambda: d.leaf(leaf_id)["state"] == "awaiting_approval" or
                  d.leaf(leaf_id)["state"] in TERMINAL, 60, what="the gate")
    assert d.leaf(leaf_id)["state"] == "awaiting_approval", d.leaf(leaf_id)
    assert (workdir_of(shared, a.alice) / "x").lstat().st_uid == a.uid(a.alice)
    [gate] = [g for g in d.ctl_json("approvals")["approvals"] if g["leaf"] == leaf_id]
    assert f"x is a symlink to {canary}; not followed" in json.dumps(gate), gate
    code, shown, _ = ctl_as(a.alice, d, shared, "logs", leaf_id)
    assert code == 0 and "is a symlink to" in shown, shown
    assert CANARY not in shown and CANARY not in json.dumps(d.events(leaf_id))
    assert canary.read_text() == CANARY + "\n"
    assert d.ctl("reject", leaf_id, "--stop")[0] == 0


def test_inputs_never_go_through_a_symlink_in_the_workdir(daemon_factory, accounts, shared, fake):
    d = runas_daemon(daemon_factory, accounts, shared)
    a = accounts
    work = workdir_of(shared, a.alice)
    outside = shared / "outside"  # root's: alice may not write here, the daemon could
    outside.mkdir()
    target = outside / "notes.txt"
    for name, dest in (("notes.txt", target), ("sub", outside)):
        subprocess.run(["runuser", "-u", a.alice, "--", "ln", "-s", str(dest), str(work / name)], check=True)
    (shared / "notes.txt").write_text("input\n")
    fake.set_script([{"text": "ok"}])
    code, _, err = ctl_as(a.alice, d, shared, "submit", "x", "-q", "--wait", "--workdir", work,
                          "--input", shared / "notes.txt")
    assert code == 0, err
    assert not target.exists(), "the input was written through the symlink"
    assert not (work / "notes.txt").is_symlink() and (work / "notes.txt").read_text() == "input\n"
    assert (work / "notes.txt").stat().st_uid == a.uid(a.alice)
    # A directory reached through a symlink is refused before anything is written.
    body = {"prompt": "x", "workdir": str(work), "run_as": a.alice,
            "inputs": [{"path": "first.txt", "data_b64": "YQ=="},
                       {"path": "sub/planted", "data_b64": "YQ=="}]}
    r = d.request("POST", "/v1/leaves", body)
    assert r.status == 403, r
    assert f"sub is a symlink to {outside}; not followed" in r.json["error"]["message"]
    assert not (outside / "planted").exists() and not (work / "first.txt").exists()
