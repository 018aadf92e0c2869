"""Runs a real harnessd in a temp dir and drives it with the real harnessctl.

One `Daemon` per test (its own config, state dir, socket and log). Everything here is blocking
test-side code on the pytest thread; the fake model server runs its own threads.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

API_KEY_ENV = "FAKE_API_KEY"
API_KEY = "sk-test-secret-0123456789"  # credential-shaped, so redaction has something to find

REPO = Path(__file__).resolve().parents[2]

# How long the harness waits for the daemon (readiness, requests, harnessctl, leaves reaching a
# state, shutdown) is multiplied by HARNESS_E2E_TIMEOUT_SCALE: tests/run.sh sets 4 for the run
# against the ASan+UBSan build, which is several times slower. It lengthens deadlines only.
TIMEOUT_SCALE = float(os.environ.get("HARNESS_E2E_TIMEOUT_SCALE") or 1)


def scaled(seconds):
    """A deadline of the harness, in seconds, stretched by HARNESS_E2E_TIMEOUT_SCALE."""
    return seconds * TIMEOUT_SCALE


_sanitized = None


def sanitized_build():
    """Whether the harnessd under test is an ASan build (HARNESS_SANITIZE=ON): its RSS then
    includes shadow memory and the allocator's quarantine, so memory bounds are looser there."""
    global _sanitized
    if _sanitized is None:
        import mmap
        with open(harnessd_path(), "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            _sanitized = m.find(b"libasan.so") != -1
    return _sanitized


# Lines that start a sanitizer report in a daemon's log (builds with HARNESS_SANITIZE=ON).
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", ": runtime error: ")


def binary(env_name, rel):
    """The harnessd/harnessctl to test: $HARNESSD/$HARNESSCTL, else the default build dir."""
    path = os.environ.get(env_name) or str(REPO / "build" / rel)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{env_name}: no executable at {path} (build it, or set ${env_name})")
    return path


def harnessd_path():
    return binary("HARNESSD", "apps/harnessd/harnessd")


def harnessctl_path():
    return binary("HARNESSCTL", "apps/harnessctl/harnessctl")


def bwrap_works():
    """(ok, why): whether `bwrap --ro-bind / / true` runs on this machine."""
    try:
        p = subprocess.run(["bwrap", "--ro-bind", "/", "/", "true"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"bwrap cannot run: {e}"
    return p.returncode == 0, f"`bwrap --ro-bind / / true` exited {p.returncode}: {p.stderr.strip()}"


# ---------------------------------------------------------------- prerequisites


def ci_mode():
    """CI=true (or HARNESS_REQUIRE_SANDBOX=1): a missing prerequisite fails the tests needing it."""
    return (os.environ.get("CI", "").lower() in ("true", "1", "yes")
            or os.environ.get("HARNESS_REQUIRE_SANDBOX") == "1")


def _missing_programs(*names):
    gone = [n for n in names if not shutil.which(n)]
    return f"{', '.join(gone)} not found on PATH" if gone else None


def _bwrap_missing():
    ok, why = bwrap_works()
    return None if ok else f"bubblewrap cannot create a sandbox on this machine: {why}"


# What each prerequisite is and how to tell it is missing: a function returning None when it is
# there, else why not. Results are cached per process.
PREREQUISITES = {
    "bwrap": _bwrap_missing,
    "podman": lambda: _missing_programs("podman"),
    "busybox": lambda: None if os.access("/bin/busybox", os.X_OK) else "/bin/busybox (busybox-static) is not installed",
    "redis-server": lambda: _missing_programs("redis-server"),
    "root": lambda: None if os.geteuid() == 0 else f"not running as root (euid {os.geteuid()})",
    "accounts": lambda: _missing_programs("useradd", "userdel", "groupadd", "groupdel", "runuser"),
    "setpriv": lambda: _missing_programs("setpriv"),
    "curl": lambda: _missing_programs("curl"),
    "promtool": lambda: _missing_programs("promtool"),
    "prometheus": lambda: _missing_programs("prometheus"),
}
_missing_cache = {}


def missing(thing):
    """None when prerequisite `thing` (a key of PREREQUISITES) is available, else why not."""
    if thing not in _missing_cache:
        _missing_cache[thing] = PREREQUISITES[thing]()
    return _missing_cache[thing]


def unavailable(thing, reason):
    """`thing` turned out unusable (`reason`): skip the test — or, in CI mode, fail it, so CI
    never passes by silently testing less."""
    import pytest

    if ci_mode():
        pytest.fail(f"missing prerequisite {thing} (required: CI=true or HARNESS_REQUIRE_SANDBOX=1): {reason}",
                    pytrace=False)
    pytest.skip(f"{thing}: {reason}")


def require(thing, why):
    """Skips (fails in CI mode) unless prerequisite `thing` is available; `why` says what the test
    needs it for, e.g. require("root", "creates throwaway Unix accounts")."""
    reason = missing(thing)
    if reason is not None:
        unavailable(thing, f"{reason} (needed because the test {why})")


# ---------------------------------------------------------------- TOML


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a JSON string is a valid TOML basic string
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")


def to_toml(config):
    """Top-level scalars, then [section.NAME] tables for dict-of-dict values (models, sandboxes...)."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in config.items() if not isinstance(v, dict)]
    for section, tables in config.items():
        if not isinstance(tables, dict):
            continue
        for name, table in tables.items():
            lines += ["", f"[{section}.{name}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- model profiles


def anthropic_model(fake, **over):
    return {"provider": "anthropic", "base_url": fake.anthropic_base, "model": "claude-fake",
            "api_key_env": API_KEY_ENV, "max_tokens": 1024, **over}


def openai_model(fake, **over):
    return {"provider": "openai", "base_url": fake.openai_base, "model": "gpt-fake",
            "api_key_env": API_KEY_ENV, "max_tokens": 1024, **over}


def replay_model(path, **over):
    return {"provider": "replay", "file": str(path), "model": "replay", **over}


def write_replay(path, steps):
    """A replay file from fake-model reply steps, in the documented replay format:
    {"responses": [{"text", "tool_calls": [{"id"?, "name", "input"}], "usage"}, ...]}, one per turn."""
    out = []
    for turn, s in enumerate(steps):
        calls = [{"id": c.get("id", f"toolu_replay_t{turn}_{i}"), "name": c["name"], "input": c.get("input", {})}
                 for i, c in enumerate(s.get("tool_calls", []))]
        out.append({"text": s.get("text", ""), "tool_calls": calls,
                    "usage": s.get("usage", {"input_tokens": 10, "output_tokens": 5})})
    Path(path).write_text(json.dumps({"responses": out}, indent=1))
    return path


# ---------------------------------------------------------------- HTTP over the unix socket


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Response:
    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<Response {self.status} {self.raw[:300]!r}>"


def unix_request(sock_path, method, path, body=None, headers=None, timeout=30):
    """One request over the unix socket. `body` may be bytes (sent as is) or JSON-able."""
    conn = UnixHTTPConnection(str(sock_path), timeout=scaled(timeout))
    try:
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls predicate() until truthy (returned) or raises AssertionError at the deadline."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- the daemon


class Daemon:
    """A harnessd child process in `root`: root/harnessd.toml, root/state, root/harnessd.sock,
    root/harnessd.log. `ctl()` runs harnessctl against it."""

    def __init__(self, root, config, extra_env=None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.config_path = self.root / "harnessd.toml"
        self.state_dir = self.root / "state"
        self.socket = self.root / "harnessd.sock"
        if len(str(self.socket)) > 100:  # sun_path holds 108 bytes
            self.socket = Path(tempfile.mkdtemp(prefix="hd-", dir="/tmp")) / "harnessd.sock"
        self.log_path = self.root / "harnessd.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
        self.env.update({API_KEY_ENV: API_KEY, **(extra_env or {})})
        self.cwd = None  # the daemon's working directory (None: the test's)
        self.proc = None
        self._log = None
        self.starts = 0

    # -- lifecycle

    def write_config(self):
        self.config_path.write_text(to_toml(self.config))

    def argv(self):
        return [harnessd_path(), "--config", str(self.config_path), "--state-dir", str(self.state_dir),
                "--socket", str(self.socket), "--foreground", "--log-level", "debug"]

    def start(self, timeout=30):
        self.write_config()
        self.state_dir.mkdir(exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.starts += 1
        self._log.write(f"\n===== test harness: start #{self.starts} =====\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.argv(), stdout=self._log, stderr=subprocess.STDOUT, env=self.env,
                                     stdin=subprocess.DEVNULL, cwd=self.cwd)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + scaled(timeout)
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"harnessd exited with {self.proc.returncode} before ready:\n{self.log_tail()}")
            if self.socket.exists():
                try:
                    r = unix_request(self.socket, "GET", "/readyz", timeout=2)
                    if r.status == 200:
                        return
                    last = repr(r)
                except OSError as e:
                    last = str(e)
            time.sleep(0.05)
        raise AssertionError(f"harnessd not ready after {timeout}s ({last}):\n{self.log_tail()}")

    def kill9(self):
        """SIGKILL, as a crash: nothing gets to clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._close_log()

    def stop(self, timeout=15):
        """SIGTERM and wait; SIGKILL if it does not exit. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=scaled(timeout))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close_log()
        return self.proc.returncode

    def restart(self, timeout=30):
        """Starts again on the same state dir (after kill9() or stop())."""
        if self.proc and self.proc.poll() is None:
            self.stop()
        return self.start(timeout)

    def _close_log(self):
        if self._log:
            self._log.close()
            self._log = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n=200):
        return "\n".join(self.log_text().splitlines()[-n:])

    def sanitizer_report(self, context=60):
        """The first ASan/LSan/UBSan report in the log (with the lines after it), or None."""
        lines = self.log_text().splitlines()
        for i, line in enumerate(lines):
            if any(m in line for m in SANITIZER_MARKERS):
                return "\n".join(lines[i:i + context])
        return None

    # -- the API

    def request(self, method, path, body=None, headers=None, timeout=30):
        return unix_request(self.socket, method, path, body, headers, timeout)

    def leaf(self, leaf_id):
        r = self.request("GET", f"/v1/leaves/{leaf_id}")
        assert r.status == 200, r
        return r.json

    def leaves(self, query=""):
        """Every leaf (following cursors), newest first."""
        out, cursor = [], None
        while True:
            q = f"?limit=200{'&' + query if query else ''}" + (f"&cursor={cursor}" if cursor else "")
            r = self.request("GET", f"/v1/leaves{q}")
            assert r.status == 200, r
            out += r.json["leaves"]
            cursor = r.json.get("next_cursor")
            if not cursor:
                return out

    def events(self, leaf_id, after=0):
        r = self.request("GET", f"/v1/leaves/{leaf_id}/events?after={after}")
        assert r.status == 200, r
        return r.json["events"]

    def event_types(self, leaf_id):
        return [e["type"] for e in self.events(leaf_id)]

    def wait_leaf(self, leaf_id, timeout=60):
        """Long-polls until terminal; returns the leaf (asserts it became terminal)."""
        deadline = time.monotonic() + scaled(timeout)
        while True:
            left = max(1, int(deadline - time.monotonic()))
            r = self.request("GET", f"/v1/leaves/{leaf_id}/wait?timeout={left}", timeout=left + 10)
            assert r.status == 200, r
            if r.json["state"] in ("succeeded", "failed", "rejected", "cancelled"):
                return r.json
            if time.monotonic() > deadline:
                raise AssertionError(f"leaf {leaf_id} still {r.json['state']} after {timeout}s")

    def submit_api(self, body, headers=None):
        """POST /v1/leaves; returns the Response."""
        return self.request("POST", "/v1/leaves", body, headers)

    # -- the CLI

    def ctl_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
        env["NO_COLOR"] = "1"
        return env

    def ctl(self, *args, timeout=60, input=None, socket_path=None):
        """Runs `harnessctl --socket SOCK ARGS…`; returns (exit code, stdout, stderr)."""
        return run_ctl(socket_path or self.socket, *args, timeout=timeout, input=input, env=self.ctl_env())

    def ctl_json(self, *args, timeout=60):
        code, out, err = self.ctl(*args, "-o", "json", timeout=timeout)
        assert code == 0, f"harnessctl {' '.join(args)} exited {code}: {err}"
        return json.loads(out)

    def submit(self, prompt, *flags, timeout=60):
        """`harnessctl submit -q PROMPT FLAGS…` → the leaf id (asserts only an id was printed)."""
        code, out, err = self.ctl("submit", "-q", prompt, *flags, timeout=timeout)
        assert code == 0, f"submit exited {code}: {err}"
        leaf_id = out.strip()
        assert leaf_id.startswith("lf_") and "\n" not in leaf_id, f"submit -q printed {out!r}"
        return leaf_id


def run_ctl(socket_path, *args, timeout=60, input=None, env=None):
    argv = [harnessctl_path(), "--socket", str(socket_path), *[str(a) for a in args]]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=scaled(timeout), input=input,
                       env=env, stdin=None if input is not None else subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def ls_ids(out):
    """Leaf ids from `harnessctl ls -o json` output: an object with "leaves" (like the API), a bare
    list, or NDJSON lines of leaves."""
    out = out.strip()
    if not out:
        return []
    try:
        doc = json.loads(out)
    except ValueError:
        doc = ndjson(out)
    leaves = doc.get("leaves", []) if isinstance(doc, dict) else doc
    return [leaf["id"] for leaf in leaves]


def ndjson(out):
    """Documents of NDJSON output. Split on "\n" only: str.splitlines() also splits on U+0085,
    U+2028 and friends, which JSON carries unescaped inside strings (tool output is arbitrary)."""
    return [json.loads(line) for line in out.split("\n") if line.strip()]


def closed_port():
    """A loopback port with nothing listening (bound then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- nested config (gates, auth)


def to_toml_tree(config, prefix=()):
    """TOML for any nesting of dicts: scalars and lists as keys, dicts as [a.b.c] tables. Unlike
    to_toml it also writes sections with keys of their own next to sub-tables, like
    `[auth] submit = […]` together with `[auth.tokens.ci]`."""
    lines = []
    scalars = {k: v for k, v in config.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in config.items() if isinstance(v, dict)}
    if prefix and (scalars or not tables):
        lines += ["", "[" + ".".join(prefix) + "]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in scalars.items()]
    for k, v in tables.items():
        lines += to_toml_tree(v, prefix + (k,)).splitlines()
    return "\n".join(lines) + "\n"


def use_tree_config(daemon):
    """Makes `daemon` write its config with to_toml_tree (call before start())."""
    daemon.write_config = lambda: daemon.config_path.write_text(to_toml_tree(daemon.config))
    return daemon
