"""Bad input gets a clear 4xx naming the problem and changes nothing (SPEC §11, docs/api.md)."""

import socket

import pytest

import harness_env as he

MISSING = "/nonexistent/harness-e2e-workdir"


@pytest.fixture
def d(daemon_factory):
    return daemon_factory()


def assert_error(r, status, code, *mentions):
    assert r.status == status, r
    assert r.json and set(r.json) == {"error"}, r
    assert r.json["error"]["code"] == code, r
    for m in mentions:
        assert m in r.json["error"]["message"], r


def assert_nothing_created(d):
    assert d.leaves() == []
    code, out, err = d.ctl("ls", "-o", "json")
    assert code == 0, err
    assert he.ls_ids(out) == []


def raw_exchange(sock_path, head, body, chunk=1 << 16):
    """Sends a request allowing the server to answer (and close) before it has read the whole
    body; returns the raw response bytes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(str(sock_path))
    try:
        try:
            s.sendall(head)
            for i in range(0, len(body), chunk):
                s.sendall(body[i:i + chunk])
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while True:
            try:
                part = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not part:
                break
            data += part
            if b"\r\n\r\n" in data:
                headers, _, rest = data.partition(b"\r\n\r\n")
                for line in headers.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:") and len(rest) >= int(line.split(b":")[1]):
                        return data
        return data
    finally:
        s.close()


def test_malformed_json(d):
    assert_error(d.submit_api(b'{"prompt": "x",'), 400, "bad_request")
    assert_error(d.submit_api(b"[1, 2]"), 400, "bad_request")
    assert_nothing_created(d)


def test_wrong_field_type_is_named(d):
    assert_error(d.submit_api({"prompt": "x", "max_turns": "x"}), 400, "bad_request", "max_turns")
    assert_error(d.submit_api({"prompt": "x", "labels": ["a"]}), 400, "bad_request", "labels")
    assert_error(d.submit_api({"prompt": 7}), 400, "bad_request", "prompt")
    assert_nothing_created(d)


def test_missing_or_empty_prompt(d):
    for body in ({}, {"prompt": ""}):
        r = d.submit_api(body)
        assert r.status in (400, 422), r
        assert "prompt" in r.json["error"]["message"]
    assert_nothing_created(d)


def test_oversized_body_is_413(d):
    body = b'{"prompt": "' + b"a" * (8 * 1024 * 1024 + 1024) + b'"}'
    head = (f"POST /v1/leaves HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    resp = raw_exchange(d.socket, head, body)
    status_line = resp.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), resp[:300]
    assert b"too_large" in resp
    assert d.request("GET", "/readyz").status == 200
    assert_nothing_created(d)


def test_unknown_leaf_is_404_and_exit_9(d):
    for path in ("/v1/leaves/lf_00000000000000000000000000", "/v1/leaves/lf_00000000000000000000000000/events",
                 "/v1/leaves/nonsense"):
        assert_error(d.request("GET", path), 404, "not_found")
    assert_error(d.request("POST", "/v1/leaves/lf_00000000000000000000000000/cancel", {}), 404, "not_found")
    assert_error(d.request("GET", "/v1/sessions/ses_00000000000000000000000000"), 404, "not_found")
    code, out, err = d.ctl("status", "lf_00000000000000000000000000")
    assert code == 9 and out == "" and err.strip()
    assert_nothing_created(d)


def test_unknown_route_is_404(d):
    assert_error(d.request("GET", "/v2/whatever"), 404, "not_found")


def test_missing_workdir_is_422_naming_it(d):
    assert_error(d.submit_api({"prompt": "x", "workdir": MISSING}), 422, "invalid", MISSING)
    code, out, err = d.ctl("submit", "-q", "x", "--workdir", MISSING)
    assert code != 0 and out.strip() == "" and MISSING in err
    assert_nothing_created(d)


def test_unknown_profiles_are_422_naming_them(d):
    assert_error(d.submit_api({"prompt": "x", "model": "no-such-model"}), 422, "invalid", "no-such-model")
    assert_error(d.submit_api({"prompt": "x", "sandbox": "no-such-sandbox"}), 422, "invalid", "no-such-sandbox")
    code, out, err = d.ctl("submit", "-q", "x", "--model", "no-such-model")
    assert code != 0 and out.strip() == "" and "no-such-model" in err
    assert_nothing_created(d)


def test_input_escaping_the_workspace_is_422(d, tmp_path):
    body = {"prompt": "x", "inputs": [{"path": "../../escaped.txt", "data_b64": "eA=="}]}
    assert_error(d.submit_api(body), 422, "invalid", "escaped.txt")
    assert not list(tmp_path.rglob("escaped.txt"))
    assert_nothing_created(d)


def test_resume_unknown_session_is_404(d):
    r = d.request("POST", "/v1/sessions/ses_00000000000000000000000000/leaves", {"prompt": "x"})
    assert_error(r, 404, "not_found")
    assert_nothing_created(d)


def test_sandbox_that_cannot_start_fails_the_leaf(make_daemon, fake):
    fake.set_script([{"tool_calls": [{"name": "bash", "input": {"command": "echo hi"}}]}, {"text": "done"}])
    d = make_daemon(sandboxes={"default": {"driver": "bwrap", "binary": "/nonexistent/bwrap", "network": False}})
    r = d.submit_api({"prompt": "run something"})
    assert r.status == 201, r
    leaf = d.wait_leaf(r.json["id"])
    assert leaf["state"] == "failed" and leaf["reason"] == "sandbox_error"
    assert "/nonexistent/bwrap" in leaf["message"] or "no such file" in leaf["message"].lower(), leaf["message"]
    finished = [e for e in d.events(leaf["id"]) if e["type"] == "leaf_finished"]
    assert finished and finished[0]["data"]["reason"] == "sandbox_error"


def test_daemon_still_healthy_after_abuse(d):
    d.submit_api(b"\x00\xff garbage")
    d.request("GET", "/v1/leaves?limit=notanumber")
    d.request("POST", "/v1/leaves/lf_x/approve", b"{")
    assert d.request("GET", "/healthz").json == {"status": "ok"}
    assert d.request("GET", "/readyz").status == 200
    assert_nothing_created(d)


def test_idempotency_key_returns_the_first_leaf(d, fake):
    fake.set_script([], default={"text": "ok"})
    r1 = d.submit_api({"prompt": "once"}, headers={"Idempotency-Key": "k-1"})
    r2 = d.submit_api({"prompt": "once"}, headers={"Idempotency-Key": "k-1"})
    assert r1.status == 201 and r2.status == 200, (r1, r2)
    assert r1.json["id"] == r2.json["id"]
    assert [leaf["id"] for leaf in d.leaves()] == [r1.json["id"]]


def test_numbers_out_of_bounds_are_422_naming_the_field(d):
    for value in (0, 0.5, -1, 31536001, 1e300):
        assert_error(d.submit_api({"prompt": "x", "timeout_s": value}), 422, "invalid", "timeout_s")
    # Past double's range: not a number the daemon can read, so the body is refused as a whole.
    assert_error(d.submit_api(b'{"prompt": "x", "timeout_s": 1e400}'), 400, "bad_request")
    for value in (0, 10001, 4294967297, 18446744073709551615):
        assert_error(d.submit_api({"prompt": "x", "max_turns": value}), 422, "invalid", "max_turns")
    assert_nothing_created(d)


def test_input_paths_must_name_a_file_in_the_workspace(d):
    for path in ("", ".", "..", "/etc/passwd", "a/../../x", "dir/", "a\u0000b"):
        body = {"prompt": "x", "inputs": [{"path": path, "data_b64": "eA=="}]}
        assert_error(d.submit_api(body), 422, "invalid", "input path")
    assert_nothing_created(d)


def test_a_cursor_we_did_not_issue_is_400(d):
    for cursor in ("garbage", "lf_short", "1%20OR%201", "ses_01JD3ZZZZZZZZZZZZZZZZZZZZZ"):
        r = d.request("GET", f"/v1/leaves?cursor={cursor}")
        assert_error(r, 400, "bad_request", "cursor")
    assert d.request("GET", "/v1/leaves?cursor=").status == 200
