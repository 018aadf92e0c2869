"""GET /metrics: the Prometheus text format after a real leaf (checked by promtool), who may
scrape it (admins and the `metrics` role, over the socket and over TCP with a token), and a real
Prometheus scraping the daemon over 127.0.0.1 and answering a query for a counter a leaf moved."""

import grp
import json
import os
import pwd
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import harness_env as he

PROM_TOKEN = "hx-prometheus-token-71c4e0a9d2"
CI_TOKEN = "hx-ci-token-0f3a9b6c5e12d8"
TOOL_LEAF = [
    {"tool_calls": [{"name": "bash", "input": {"command": "echo hi > hi.txt"}}]},
    {"text": "done", "usage": {"input_tokens": 30, "output_tokens": 7}},
]


def samples(text):
    """{'name{labels}': value} of every sample line of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, value = line.rsplit(" ", 1)
        out[key] = float(value)
    return out


def scrape(d):
    r = d.request("GET", "/metrics")
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4"), r.headers
    return r.raw.decode()


def tcp_get(port, path, token=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_metrics_after_a_leaf_with_a_tool_call_pass_promtool(daemon, fake, workdir):
    he.require("promtool", "checks the exposition with `promtool check metrics`")
    fake.set_script(TOOL_LEAF)
    leaf_id = daemon.submit("say hi", "--workdir", workdir)
    assert daemon.wait_leaf(leaf_id)["state"] == "succeeded"
    assert daemon.request("GET", "/v1/leaves/lf_nope").status == 404

    body = scrape(daemon)
    s = samples(body)
    assert s['harness_leaves_submitted_total'] == 1
    assert s['harness_leaves_started_total{kind="fresh"}'] == 1
    assert s['harness_leaves_finished_total{state="succeeded",reason="completed"}'] == 1
    assert s['harness_model_calls_total{profile="default",status="ok"}'] == 2
    assert s['harness_model_call_duration_seconds_count{profile="default"}'] == 2
    assert s['harness_model_tokens_total{profile="default",kind="output"}'] >= 7
    assert s['harness_tool_calls_total{tool="bash",exit_class="ok"}'] == 1
    assert s['harness_tool_call_duration_seconds_count{tool="bash"}'] == 1
    assert s['harness_tool_call_duration_seconds_bucket{tool="bash",le="+Inf"}'] == 1
    assert s['harness_sandbox_starts_total{driver="bwrap"}'] == 1
    assert 'harness_sandbox_start_failures_total{driver="bwrap"}' not in s
    assert s['harness_store_operation_duration_seconds_count{op="append"}'] >= 4
    # Routes by pattern, never by raw path: an unknown leaf id does not become a label value.
    assert s['harness_http_requests_total{method="GET",route="/v1/leaves/{}",code="404"}'] == 1
    assert not any("lf_nope" in k for k in s)
    # The runner leaves the running set right after the leaf's last write (its envelope).
    he.wait_until(lambda: samples(scrape(daemon))['harness_leaves{state="running"}'] == 0, he.scaled(10),
                  what="the finished leaf's runner to be gone")
    assert s['harness_queue_depth'] == 0
    assert s['harness_gates_open'] == 0
    assert s['process_resident_memory_bytes'] > 1e6
    assert s['process_open_fds'] > 3
    assert abs(s['process_start_time_seconds'] - time.time()) < 600
    for family in ("harness_tool_calls_total", "harness_store_operation_duration_seconds"):
        assert f"# HELP {family} " in body and f"# TYPE {family} " in body

    p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr

    # The scrape itself is counted once answered: the next one shows it.
    s = samples(scrape(daemon))
    assert s['harness_http_requests_total{method="GET",route="/metrics",code="200"}'] >= 1


def auth_daemon(daemon_factory, tcp_port=None, socket_roles=("submit",)):
    me = pwd.getpwuid(os.getuid()).pw_name
    auth = {"socket_group": grp.getgrgid(os.getgid()).gr_name,
            "tokens": {"prom": {"token": PROM_TOKEN, "roles": ["metrics"]},
                       "ci": {"token": CI_TOKEN, "roles": ["submit", "read"]}}}
    for role in socket_roles:
        auth[role] = [f"user:{me}"]
    d = he.use_tree_config(daemon_factory(extra={"auth": auth}, start=False))
    if tcp_port:
        base_argv = d.argv
        d.argv = lambda: base_argv() + ["--listen", f"127.0.0.1:{tcp_port}"]
    return d.start()


def test_metrics_need_admin_or_the_metrics_role(daemon_factory):
    port = he.closed_port()
    d = auth_daemon(daemon_factory, port)
    status, body = tcp_get(port, "/metrics", PROM_TOKEN)
    assert status == 200 and "harness_http_requests_total" in body
    status, body = tcp_get(port, "/metrics", CI_TOKEN)
    assert status == 403 and "'metrics' role" in json.loads(body)["error"]["message"]
    assert tcp_get(port, "/metrics")[0] == 401
    # The role grants nothing else.
    assert tcp_get(port, "/v1/leaves", PROM_TOKEN)[0] == 403
    # Over the socket: a caller with submit only is refused too.
    r = d.request("GET", "/metrics")
    assert r.status == 403 and r.json["error"]["code"] == "forbidden", r


def test_metrics_role_over_the_socket(daemon_factory):
    d = auth_daemon(daemon_factory, socket_roles=("metrics",))
    assert d.request("GET", "/metrics").status == 200
    assert d.request("GET", "/v1/leaves").status == 403


def test_a_real_prometheus_scrapes_the_daemon_over_tcp(daemon_factory, fake, tmp_path):
    he.require("prometheus", "scrapes the daemon with a real Prometheus server")
    port, prom_port = he.closed_port(), he.closed_port()
    d = auth_daemon(daemon_factory, port)
    fake.set_script([], default={"text": "ok"})
    for _ in range(3):  # leaves without tools: no sandbox needed
        r = d.request("POST", "/v1/leaves", {"prompt": "hello"})
        assert r.status in (200, 201, 202), r
        assert d.wait_leaf(r.json["id"])["state"] == "succeeded"

    (tmp_path / "token").write_text(PROM_TOKEN)
    (tmp_path / "prometheus.yml").write_text(f"""
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: harnessd
    scrape_interval: 1s
    scrape_timeout: 1s
    authorization:
      credentials_file: {tmp_path / 'token'}
    static_configs:
      - targets: ['127.0.0.1:{port}']
""")
    log = open(tmp_path / "prometheus.log", "w")
    prom = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        query = urllib.parse.quote('harness_leaves_finished_total{state="succeeded",reason="completed"}')

        def answered():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/query?query={query}",
                                            timeout=5) as r:
                    result = json.loads(r.read())["data"]["result"]
            except (OSError, ValueError, KeyError):
                return None
            return result or None

        result = he.wait_until(answered, he.scaled(30), interval=0.5, what="Prometheus to have scraped harnessd")
        assert len(result) == 1
        assert result[0]["metric"]["job"] == "harnessd"
        assert result[0]["value"][1] == "3"
        up = urllib.parse.quote('up{job="harnessd"}')

        def up_value():  # the latest scrape's; one slow scrape may have set it to 0 for a while
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{prom_port}/api/v1/query?query={up}",
                                            timeout=5) as r:
                    return json.loads(r.read())["data"]["result"][0]["value"][1]
            except (OSError, ValueError, KeyError, IndexError):
                return None

        he.wait_until(lambda: up_value() == "1", 10, interval=0.5, what="up == 1")
    finally:
        prom.terminate()
        try:
            prom.wait(timeout=20)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
        log.close()
    assert PROM_TOKEN not in d.log_text()
