"""A real redis-server for the e2e tests: 127.0.0.1, a free port, its own temp dir, AOF on.
Blocking test-side code on the pytest thread."""

import shutil
import socket
import subprocess
import time
from pathlib import Path


def binary():
    """The redis-server on PATH, or None."""
    return shutil.which("redis-server")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RedisServer:
    """redis-server in `root` (dir + log). start()/kill9()/restart() keep the port and the AOF."""

    def __init__(self, root, extra_args=()):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.extra = list(extra_args)
        self.port = free_port()
        self.proc = None
        self.password = None

    def url(self, db=0, userinfo=None):
        auth = f"{userinfo}@" if userinfo else ""
        return f"redis://{auth}127.0.0.1:{self.port}/{db}"

    def start(self, timeout=15):
        argv = [binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
                "--appendonly", "yes", "--save", "", "--daemonize", "no",
                "--logfile", str(self.root / "redis.log"), *self.extra]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited {self.proc.returncode}:\n{self.log_tail()}")
            out = self.cli("PING", check=False)
            if out in ("PONG", "NOAUTH Authentication required."):
                return self
            time.sleep(0.02)
        raise AssertionError(f"redis-server not answering after {timeout}s:\n{self.log_tail()}")

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self):
        self.kill9()
        return self.start()

    def stop(self):
        self.kill9()

    def cli(self, *args, check=True):
        """One command through redis-cli; its output stripped."""
        argv = ["redis-cli", "-p", str(self.port), "--no-auth-warning"]
        if self.password:
            argv += ["-a", self.password]
        p = subprocess.run(argv + [str(a) for a in args], capture_output=True, text=True, timeout=10)
        if check:
            assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    def log_tail(self, n=50):
        try:
            return "\n".join((self.root / "redis.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"
