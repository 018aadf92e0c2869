"""harnessd under systemd, without systemd: what the service manager sees of the daemon.

- sd_notify: READY=1 after recovery, WATCHDOG=1 every WATCHDOG_USEC/2 from the event loop (and
  none while the loop is blocked: the test hook HARNESSD_TEST_WEDGE_SECONDS + SIGUSR2), STOPPING=1
  at shutdown; abstract "@" sockets; WATCHDOG_PID naming another process turns the pings off.
- journald: with JOURNAL_STREAM naming stderr, every line starts with its syslog priority "<N>".
- --log-format json / log_format: one JSON object per line.
- RLIMIT_NOFILE: the soft limit is raised to the hard one at start; doctor reports the room.
- LoadCredential=: an API key from $CREDENTIALS_DIRECTORY/<api_key_env>.
A notify socket here is a plain python datagram socket, as systemd's is.
"""

import json
import os
import re
import signal
import socket
import threading
import time

import harness_env as he

REPLAY_DONE = [{"text": "done"}]


class NotifySocket:
    """A datagram socket like systemd's $NOTIFY_SOCKET that records (monotonic time, message)."""

    def __init__(self, name):
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + name[1:] if name.startswith("@") else name)
        self.sock.settimeout(0.2)
        self.messages = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def times(self, state):
        return [t for t, m in list(self.messages) if state in m.split("\n")]

    def wait_for(self, state, timeout=10):
        return he.wait_until(lambda: self.times(state), timeout, what=f"{state} on the notify socket")

    def close(self):
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()


def replay_daemon(daemon_factory, tmp_path, extra=None, extra_env=None, start=True):
    replay = he.write_replay(tmp_path / "replay.json", REPLAY_DONE)
    return daemon_factory(models={"default": he.replay_model(replay)}, extra=extra,
                          extra_env=extra_env, start=start)


def log_lines_of_last_start(d):
    text = d.log_text()
    return text[text.rindex("===== test harness") :].splitlines()[1:]


def test_ready_watchdog_pings_and_their_stop_when_the_loop_is_blocked(daemon_factory, tmp_path):
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    try:
        d = replay_daemon(daemon_factory, tmp_path, extra_env={
            "NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "200000", "HARNESSD_TEST_WEDGE_SECONDS": "3"})
        ready = notify.wait_for("READY=1")
        assert any("STATUS=serving on" in m for _, m in notify.messages if "READY=1" in m)

        # Every 100 ms (half of 200 ms), from the loop.
        he.wait_until(lambda: len(notify.times("WATCHDOG=1")) >= 10, 10, what="10 watchdog pings")
        pings = notify.times("WATCHDOG=1")
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert max(gaps) < 1.0, gaps
        assert sum(gaps) / len(gaps) < 0.3, gaps
        assert ready[0] < pings[-1]

        # A wedged loop sends nothing: systemd would kill it after WatchdogSec.
        blocked_at = time.monotonic()
        d.proc.send_signal(signal.SIGUSR2)
        he.wait_until(lambda: "blocking the event loop" in d.log_text(), 5, what="the wedge to start")
        time.sleep(2.0)
        during = [t for t in notify.times("WATCHDOG=1") if blocked_at + 0.5 < t < blocked_at + 2.5]
        assert during == [], f"{len(during)} pings while the loop was blocked"
        # The pings come back with the loop.
        he.wait_until(lambda: [t for t in notify.times("WATCHDOG=1") if t > blocked_at + 3], 10,
                      what="pings after the wedge")
        assert d.request("GET", "/readyz").status == 200

        assert d.stop() == 0
        assert notify.times("STOPPING=1")
    finally:
        notify.close()


def test_abstract_socket_and_watchdog_pid_of_another_process(daemon_factory, tmp_path):
    notify = NotifySocket(f"@harness-test-{os.getpid()}-{time.monotonic_ns()}")
    try:
        # WATCHDOG_PID names another process: those pings are not ours to send.
        d = replay_daemon(daemon_factory, tmp_path, extra_env={
            "NOTIFY_SOCKET": notify.name, "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
        notify.wait_for("READY=1")
        time.sleep(0.8)
        assert notify.times("WATCHDOG=1") == []
        assert "watchdog" not in d.log_text()
    finally:
        notify.close()


def test_journald_priority_prefixes_only_when_stderr_is_the_journal(daemon_factory, tmp_path):
    d = replay_daemon(daemon_factory, tmp_path, start=False)
    d.log_path.touch()
    st = os.stat(d.log_path)
    d.env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
    d.start()
    # A reload that changes a restart-only key logs a warning naming it.
    d.config["max_connections"] = 100
    d.write_config()
    d.proc.send_signal(signal.SIGHUP)
    he.wait_until(lambda: "config reloaded" in d.log_text(), 5, what="the reload")
    assert d.stop() == 0
    lines = log_lines_of_last_start(d)
    assert lines and all(re.match(r"<[0-7]>", line) for line in lines), lines
    assert any(line.startswith("<6>") and "ready" in line for line in lines), lines
    assert any(line.startswith("<4>") and "max_connections changed" in line for line in lines), lines
    assert any(line.startswith("<7>") for line in lines), lines  # --log-level debug

    # Inherited by a process whose stderr is elsewhere: not the journal, no prefixes.
    d.env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino + 1}"
    d.start()
    assert d.stop() == 0
    lines = log_lines_of_last_start(d)
    assert lines and not any(line.startswith("<") for line in lines), lines


def test_json_log_format_one_object_per_line(daemon_factory, tmp_path):
    d = replay_daemon(daemon_factory, tmp_path, extra={"log_format": "json"})
    leaf_id = d.submit("say done")
    assert d.wait_leaf(leaf_id)["state"] == "succeeded"
    # A request path that is not UTF-8 reaches the debug log as it came.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(d.socket))
    s.sendall(b"GET /v1/leaves/lf_\xff\xfe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    s.recv(4096)
    s.close()
    assert d.stop() == 0
    lines = log_lines_of_last_start(d)
    objs = [json.loads(line) for line in lines]  # every line parses
    assert all(set(o) == {"ts", "level", "msg"} for o in objs), objs
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["ts"]) for o in objs)
    assert {o["level"] for o in objs} >= {"info", "debug"}
    assert any("ready" in o["msg"] for o in objs)
    assert any("/v1/leaves/lf_" in o["msg"] and "-> 404" in o["msg"] for o in objs), objs

    # The flag wins over the file.
    base_argv = d.argv
    d.argv = lambda: base_argv() + ["--log-format", "text"]
    d.start()
    assert d.stop() == 0
    assert not any(line.startswith("{") for line in log_lines_of_last_start(d))


def test_soft_fd_limit_raised_to_hard_and_reported_by_doctor(daemon_factory, tmp_path):
    d = replay_daemon(daemon_factory, tmp_path, start=False)
    base_argv = d.argv
    d.argv = lambda: ["prlimit", "--nofile=256:4096", "--"] + base_argv()
    d.start()
    limits = open(f"/proc/{d.proc.pid}/limits").read()
    [line] = [l for l in limits.splitlines() if l.startswith("Max open files")]
    assert line.split()[3:5] == ["4096", "4096"], line
    assert "soft limit raised from 256 to 4096" in d.log_text()

    code, out, err = d.ctl("doctor", "-o", "json", timeout=120)
    report = json.loads(out)
    [fds] = [c for c in report["checks"] if (c["kind"], c["name"]) == ("limits", "open_files")]
    assert fds["ok"] is True, fds
    assert "soft limit 4096 (hard 4096)" in fds["detail"]
    assert "leaves in flight" in fds["detail"]


def test_api_key_from_credentials_directory(daemon_factory, fake, tmp_path):
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / he.API_KEY_ENV).write_text(he.API_KEY + "\n")
    d = daemon_factory(start=False, extra_env={"CREDENTIALS_DIRECTORY": str(creds)})
    del d.env[he.API_KEY_ENV]
    d.start()
    assert f"{he.API_KEY_ENV}: from $CREDENTIALS_DIRECTORY" in d.log_text()
    fake.set_script([{"text": "keyed"}])
    leaf_id = d.submit("hello")
    leaf = d.wait_leaf(leaf_id)
    assert leaf["state"] == "succeeded" and leaf["result"] == "keyed", leaf
    assert fake.replies()[0]["headers"].get("x-api-key") == he.API_KEY
    assert he.API_KEY not in d.log_text()


def test_read_only_workdir_is_refused_at_submit(daemon_factory, tmp_path):
    """Under ProtectSystem=strict every path outside ReadWritePaths= is read-only for harnessd: a
    leaf there would fail every write. Here a read-only bind mount in the daemon's own mount
    namespace stands in for it."""
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    ro.mkdir()
    rw.mkdir()
    d = replay_daemon(daemon_factory, tmp_path, start=False)
    base_argv = d.argv
    make_ro = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'
    d.argv = lambda: ["unshare", "-m", "--propagation", "private", "sh", "-c", make_ro, str(ro)] + base_argv()
    d.start()
    code, _, err = d.ctl("submit", "-q", "hello", "--workdir", ro)
    assert code == 2, err
    assert f"workdir {ro} is read-only for harnessd" in err and "ReadWritePaths=" in err
    assert d.leaves() == []
    leaf_id = d.submit("hello", "--workdir", rw)
    assert d.wait_leaf(leaf_id)["state"] == "succeeded"
