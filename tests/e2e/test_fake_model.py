"""The fake model server itself: wire formats, turn selection, faults, validation, CLI.

Runs without harnessd; every other e2e test trusts what is checked here.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness_env as he  # noqa: E402
from fake_model import FakeModel  # noqa: E402

KEY = "sk-test-secret"
ANTH_HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
OAI_HEADERS = {"Authorization": f"Bearer {KEY}"}
TOOLS_ANTH = [{"name": "bash", "description": "run", "input_schema": {"type": "object", "properties": {}}}]
TOOLS_OAI = [{"type": "function", "function": {"name": "bash", "parameters": {"type": "object"}}}]


def post(url, body, headers, timeout=10):
    """POSTs JSON; returns (status, parsed body, headers) for 2xx and HTTP errors alike."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"content-type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read()), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), dict(e.headers)


@pytest.fixture
def fake():
    f = FakeModel(api_key=KEY).start()
    yield f
    f.stop()


def anth(fake, messages, headers=ANTH_HEADERS, **extra):
    body = {"model": "claude-test", "max_tokens": 1024, "messages": messages, **extra}
    return post(fake.anthropic_base + "/v1/messages", body, headers)


def oai(fake, messages, headers=OAI_HEADERS, **extra):
    body = {"model": "gpt-test", "messages": messages, **extra}
    return post(fake.openai_base + "/chat/completions", body, headers)


THREE_TURNS = [
    {"tool_calls": [{"name": "bash", "input": {"command": "echo hello > out.txt"}}]},
    {"text": "reading", "tool_calls": [{"name": "read_file", "input": {"path": "out.txt"}}]},
    {"text": "The file says hello."},
]


def test_anthropic_three_turn_conversation(fake):
    fake.set_script(THREE_TURNS)
    msgs = [{"role": "user", "content": "make a file"}]
    st, r1, hdrs = anth(fake, msgs, tools=TOOLS_ANTH, system="be brief")
    assert st == 200
    assert r1["type"] == "message" and r1["role"] == "assistant" and r1["model"] == "claude-test"
    assert r1["stop_reason"] == "tool_use" and r1["stop_sequence"] is None
    assert r1["id"].startswith("msg_") and "request-id" in {k.lower() for k in hdrs}
    [use] = r1["content"]
    assert use["type"] == "tool_use" and use["name"] == "bash" and use["input"] == {"command": "echo hello > out.txt"}
    assert set(r1["usage"]) == {"input_tokens", "output_tokens"}

    msgs += [{"role": "assistant", "content": r1["content"]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use["id"], "content": "ok"}]}]
    st, r2, _ = anth(fake, msgs, tools=TOOLS_ANTH)
    assert st == 200
    assert [b["type"] for b in r2["content"]] == ["text", "tool_use"]
    assert r2["content"][1]["id"] != use["id"]

    msgs += [{"role": "assistant", "content": r2["content"]},
             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": r2["content"][1]["id"],
                                           "content": [{"type": "text", "text": "1\thello"}]}]}]
    st, r3, _ = anth(fake, msgs)
    assert st == 200 and r3["stop_reason"] == "end_turn"
    assert r3["content"] == [{"type": "text", "text": "The file says hello."}]

    reqs = fake.model_requests()
    assert [r["turn"] for r in reqs] == [0, 1, 2]
    assert reqs[0]["headers"]["x-api-key"] == KEY
    assert reqs[0]["body"]["system"] == "be brief"
    assert reqs[2]["body"]["messages"][4]["content"][0]["tool_use_id"] == r2["content"][1]["id"]
    total_in = sum(r["usage"]["input_tokens"] for r in (r1, r2, r3))
    total_out = sum(r["usage"]["output_tokens"] for r in (r1, r2, r3))
    assert fake.usage_totals() == {"input_tokens": total_in, "output_tokens": total_out}
    assert fake.errors == []


def test_openai_three_turn_conversation(fake):
    fake.set_script(THREE_TURNS)
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "make a file"}]
    st, r1, _ = oai(fake, msgs, tools=TOOLS_OAI, max_tokens=100)
    assert st == 200
    assert r1["object"] == "chat.completion" and r1["model"] == "gpt-test" and isinstance(r1["created"], int)
    [choice] = r1["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "tool_calls"
    msg = choice["message"]
    assert msg["role"] == "assistant" and msg["content"] is None
    [call] = msg["tool_calls"]
    assert call["type"] == "function" and call["function"]["name"] == "bash"
    assert isinstance(call["function"]["arguments"], str)
    assert json.loads(call["function"]["arguments"]) == {"command": "echo hello > out.txt"}
    u = r1["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]

    msgs += [msg, {"role": "tool", "tool_call_id": call["id"], "content": "ok"}]
    st, r2, _ = oai(fake, msgs, tools=TOOLS_OAI)
    assert st == 200
    msg2 = r2["choices"][0]["message"]
    assert msg2["content"] == "reading" and msg2["tool_calls"][0]["function"]["name"] == "read_file"

    msgs += [msg2, {"role": "tool", "tool_call_id": msg2["tool_calls"][0]["id"], "content": "1\thello"}]
    st, r3, _ = oai(fake, msgs)
    assert st == 200
    assert r3["choices"][0]["finish_reason"] == "stop"
    assert r3["choices"][0]["message"] == {"role": "assistant", "content": "The file says hello."}
    assert fake.model_requests()[0]["headers"]["authorization"] == f"Bearer {KEY}"


def test_same_turn_repeated_gets_the_same_answer(fake):
    fake.set_script(THREE_TURNS)
    msgs = [{"role": "user", "content": "go"}]
    _, a, _ = anth(fake, msgs)
    _, b, _ = anth(fake, msgs)
    assert a["content"] == b["content"]
    assert a["id"] != b["id"]


def test_default_reply_and_exhausted_script(fake):
    fake.set_script([{"text": "first"}])
    msgs = [{"role": "user", "content": "go"}, {"role": "assistant", "content": "first"},
            {"role": "user", "content": "again"}]
    st, body, _ = anth(fake, msgs)
    assert st == 500 and body["type"] == "error" and "exhausted" in body["error"]["message"]
    assert fake.errors == ["script exhausted at turn 1"]
    fake.set_script([], default={"tool_calls": [{"name": "bash", "input": {"command": "true"}}]})
    st, body, _ = anth(fake, msgs)
    assert st == 200 and body["stop_reason"] == "tool_use"


def test_add_script_selects_by_first_user_message(fake):
    fake.set_script([{"text": "general"}])
    fake.add_script("SPECIAL", [{"text": "special"}])
    assert anth(fake, [{"role": "user", "content": "plain"}])[1]["content"][0]["text"] == "general"
    assert anth(fake, [{"role": "user", "content": "a SPECIAL one"}])[1]["content"][0]["text"] == "special"


# ---------------------------------------------------------------- faults


def test_status_faults_are_consumed_in_order_then_reply(fake):
    fake.set_script([{"status": 529}, {"status": 500, "retry_after": 1}, {"text": "done"}])
    msgs = [{"role": "user", "content": "go"}]
    st, body, _ = anth(fake, msgs)
    assert st == 529 and body == {"type": "error", "error": {"type": "overloaded_error", "message": body["error"]["message"]}}
    st, body, hdrs = anth(fake, msgs)
    assert st == 500 and body["error"]["type"] == "api_error"
    assert {k.lower(): v for k, v in hdrs.items()}["retry-after"] == "1"
    st, body, _ = anth(fake, msgs)
    assert st == 200 and body["content"][0]["text"] == "done"
    assert [r["status"] for r in fake.model_requests()] == [529, 500, 200]


def test_openai_error_body_shape(fake):
    fake.set_script([{"status": 429}, {"text": "ok"}])
    st, body, _ = oai(fake, [{"role": "user", "content": "go"}])
    assert st == 429 and set(body["error"]) == {"message", "type", "param", "code"}


def test_faults_belong_to_their_turn(fake):
    fake.set_script([{"text": "t0", "tool_calls": [{"name": "bash", "input": {}}]}, {"status": 503}, {"text": "t1"}])
    st, r0, _ = anth(fake, [{"role": "user", "content": "go"}])
    assert st == 200  # turn 0 has no fault
    msgs = [{"role": "user", "content": "go"}, {"role": "assistant", "content": r0["content"]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": r0["content"][1]["id"],
                                          "content": "x"}]}]
    assert anth(fake, msgs)[0] == 503
    assert anth(fake, msgs)[0] == 200


def test_delay_fault_delays_once(fake):
    fake.set_script([{"delay": 0.5}, {"text": "slow"}])
    msgs = [{"role": "user", "content": "go"}]
    t = time.monotonic()
    st, body, _ = anth(fake, msgs)
    assert st == 200 and body["content"][0]["text"] == "slow"
    assert time.monotonic() - t >= 0.5
    t = time.monotonic()
    anth(fake, msgs)
    assert time.monotonic() - t < 0.4


def test_hang_never_answers(fake):
    fake.set_script([{"hang": True}, {"text": "later"}])
    body = json.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "go"}]}).encode()
    req = urllib.request.Request(fake.anthropic_base + "/v1/messages", data=body, headers=ANTH_HEADERS)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        urllib.request.urlopen(req, timeout=0.5)
    assert fake.wait_for(lambda f: f.in_flight == 1, timeout=2)
    assert anth(fake, [{"role": "user", "content": "go"}])[0] == 200


def test_close_drops_the_connection(fake):
    fake.set_script([{"close": True}, {"text": "ok"}])
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    body = json.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "go"}]})
    conn.request("POST", "/v1/messages", body, ANTH_HEADERS)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn.getresponse()
    conn.close()
    assert fake.model_requests()[0]["status"] == "closed"
    assert anth(fake, [{"role": "user", "content": "go"}])[0] == 200


def test_max_in_flight_counts_concurrent_requests(fake):
    fake.set_script([], default={"text": "ok", "delay": 0.3})
    threads = [threading.Thread(target=anth, args=(fake, [{"role": "user", "content": f"q{i}"}])) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fake.max_in_flight == 5
    # The server lowers in_flight just after the answer is sent: the client may see it first.
    assert fake.wait_for(lambda f: f.in_flight == 0, timeout=5), fake.in_flight
    assert len(fake.replies()) == 5


# ---------------------------------------------------------------- validation


def test_anthropic_auth_and_headers(fake):
    fake.set_script([], default={"text": "ok"})
    msgs = [{"role": "user", "content": "go"}]
    st, body, _ = anth(fake, msgs, headers={"anthropic-version": "2023-06-01"})
    assert st == 401 and body["error"]["type"] == "authentication_error"
    st, _, _ = anth(fake, msgs, headers={"x-api-key": "wrong", "anthropic-version": "2023-06-01"})
    assert st == 401
    st, _, _ = anth(fake, msgs, headers={"Authorization": f"Bearer {KEY}", "anthropic-version": "2023-06-01"})
    assert st == 200
    st, body, _ = anth(fake, msgs, headers={"x-api-key": KEY})
    assert st == 400 and "anthropic-version" in body["error"]["message"]


def test_anthropic_body_validation(fake):
    fake.set_script([], default={"text": "ok"})
    url = fake.anthropic_base + "/v1/messages"
    st, body, _ = post(url, b"{not json", ANTH_HEADERS)
    assert st == 400 and body["error"]["type"] == "invalid_request_error"
    st, body, _ = post(url, {"model": "m", "messages": [{"role": "user", "content": "x"}]}, ANTH_HEADERS)
    assert st == 400 and "max_tokens" in body["error"]["message"]
    st, body, _ = anth(fake, [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    assert st == 400 and "alternate" in body["error"]["message"]
    st, body, _ = anth(fake, [{"role": "assistant", "content": "a"}])
    assert st == 400
    st, body, _ = anth(fake, [{"role": "user", "content": ""}])
    assert st == 400 and "non-empty" in body["error"]["message"]
    st, body, _ = anth(fake, [{"role": "user", "content": "x"}], tools=[{"name": "t", "input_schema": {}}])
    assert st == 400 and "tools.0" in body["error"]["message"]


def test_anthropic_tool_result_must_match_previous_tool_use(fake):
    fake.set_script([], default={"text": "ok"})
    use = {"type": "tool_use", "id": "toolu_1", "name": "bash", "input": {}}
    bad = [{"role": "user", "content": "go"}, {"role": "assistant", "content": [use]},
           {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_other", "content": "x"}]}]
    st, body, _ = anth(fake, bad)
    assert st == 400 and "toolu_other" in body["error"]["message"]
    missing = [{"role": "user", "content": "go"}, {"role": "assistant", "content": [use]},
               {"role": "user", "content": "I ignore your tool call"}]
    st, body, _ = anth(fake, missing)
    assert st == 400 and "toolu_1" in body["error"]["message"]
    good = missing[:2] + [{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "interrupted", "is_error": True}]}]
    assert anth(fake, good)[0] == 200
    assert [r["status"] for r in fake.model_requests()] == [400, 400, 200]


def test_openai_validation(fake):
    fake.set_script([], default={"text": "ok"})
    msgs = [{"role": "user", "content": "go"}]
    st, body, _ = oai(fake, msgs, headers={})
    assert st == 401 and "API key" in body["error"]["message"]
    st, body, _ = post(fake.openai_base + "/chat/completions", {"messages": msgs}, OAI_HEADERS)
    assert st == 400 and "model" in body["error"]["message"]
    call = {"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}
    orphan = msgs + [{"role": "tool", "tool_call_id": "call_1", "content": "x"}]
    st, body, _ = oai(fake, orphan)
    assert st == 400 and "tool_call_id" in body["error"]["message"]
    wrong_id = msgs + [{"role": "assistant", "content": None, "tool_calls": [call]},
                       {"role": "tool", "tool_call_id": "call_2", "content": "x"}]
    assert oai(fake, wrong_id)[0] == 400
    unanswered = msgs + [{"role": "assistant", "content": None, "tool_calls": [call]},
                         {"role": "user", "content": "next"}]
    st, body, _ = oai(fake, unanswered)
    assert st == 400 and "call_1" in body["error"]["message"]
    bad_args = msgs + [{"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "bash", "arguments": {"command": "x"}}}]}]
    assert oai(fake, bad_args)[0] == 400
    good = msgs + [{"role": "assistant", "content": None, "tool_calls": [call]},
                   {"role": "tool", "tool_call_id": "call_1", "content": "x"}]
    assert oai(fake, good)[0] == 200


def test_unknown_route_is_404(fake):
    st, _, _ = post(fake.anthropic_base + "/v1/complete", {"x": 1}, ANTH_HEADERS)
    assert st == 404


def test_no_key_configured_accepts_anything():
    with FakeModel([{"text": "ok"}]) as f:
        assert oai(f, [{"role": "user", "content": "go"}], headers={})[0] == 200


# ---------------------------------------------------------------- CLI


def test_cli_serves_script_and_exposes_requests(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"steps": [{"text": "from cli"}], "api_key": KEY}))
    proc = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "fake_model.py"),
                             "--port", "0", "--script", str(script)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "go"}]}
        st, resp, _ = post(base + "/v1/messages", body, ANTH_HEADERS)
        assert st == 200 and resp["content"][0]["text"] == "from cli"
        assert post(base + "/v1/messages", body, {"anthropic-version": "2023-06-01"})[0] == 401
        with urllib.request.urlopen(base + "/_fake/requests", timeout=5) as r:
            reqs = json.loads(r.read())["requests"]
        assert [q["status"] for q in reqs] == [200, 401]
        assert reqs[0]["body"]["messages"][0]["content"] == "go"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_neutral_messages_read_both_formats_alike(fake):
    from fake_model import neutral_messages, tool_results, user_texts
    fake.set_script([], default={"text": "ok"})
    anth(fake, [{"role": "user", "content": "go"},
                {"role": "assistant", "content": [{"type": "text", "text": "t"},
                                                  {"type": "tool_use", "id": "a1", "name": "bash", "input": {"c": 1}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a1",
                                              "content": [{"type": "text", "text": "out"}]}]}])
    call = {"id": "a1", "type": "function", "function": {"name": "bash", "arguments": "{\"c\": 1}"}}
    oai(fake, [{"role": "system", "content": "s"}, {"role": "user", "content": "go"},
               {"role": "assistant", "content": "t", "tool_calls": [call]},
               {"role": "tool", "tool_call_id": "a1", "content": "out"}])
    a, o = fake.model_requests()
    na, no = neutral_messages(a), neutral_messages(o)
    assert no[0]["role"] == "system" and no[1:] == na
    assert na[1]["tool_calls"] == [{"id": "a1", "name": "bash", "input": {"c": 1}}]
    assert tool_results(a) == tool_results(o) == {"a1": "out"}
    assert user_texts(a) == user_texts(o) == ["go"]


def test_keep_alive_serves_several_requests_on_one_connection(fake):
    fake.set_script([], default={"text": "ok"})
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    body = json.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "go"}]})
    for _ in range(3):
        conn.request("POST", "/v1/messages", body, ANTH_HEADERS)
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())["content"][0]["text"] == "ok"
    conn.close()
    assert len(fake.replies()) == 3


def test_curl_chunked_body_with_expect_continue(fake):
    """libcurl (which harnessd uses) may send Expect: 100-continue and chunked bodies."""
    he.require("curl", "sends its request with the curl program")
    fake.set_script([], default={"text": "ok"})
    body = json.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x" * 5000}]})
    p = subprocess.run(["curl", "-sS", "-H", "Expect: 100-continue", "-H", "Transfer-Encoding: chunked",
                        "-H", f"x-api-key: {KEY}", "-H", "anthropic-version: 2023-06-01",
                        "-H", "content-type: application/json", "--data-binary", body,
                        fake.anthropic_base + "/v1/messages"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["content"][0]["text"] == "ok"
    assert fake.replies()[0]["body"]["messages"][0]["content"] == "x" * 5000


def raw_post(fake, path, headers):
    """POSTs one short Anthropic request; returns (status, raw body bytes, declared length)."""
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=30)
    body = json.dumps({"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "go"}]})
    conn.request("POST", path, body, headers)
    r = conn.getresponse()
    declared = int(r.getheader("content-length"))
    try:
        data = r.read()
    except http.client.IncompleteRead as e:
        data = e.partial
    conn.close()
    return r.status, data, declared


def test_raw_fault_bodies_and_raw_bytes_in_replies(fake):
    fake.set_script([{"status": 502, "body": b"<h1>\xff bad</h1>"}, {"status": 503, "body_b64": "/w=="},
                     {"text": "t @@X@@", "raw_bytes": {"@@X@@": b"\xc3("}}])
    assert raw_post(fake, "/v1/messages", ANTH_HEADERS)[:2] == (502, b"<h1>\xff bad</h1>")
    assert raw_post(fake, "/v1/messages", ANTH_HEADERS)[:2] == (503, b"\xff")
    status, data, _ = raw_post(fake, "/v1/messages", ANTH_HEADERS)
    assert status == 200 and b'"text": "t \xc3("' in data


def test_truncate_and_big_faults(fake):
    fake.set_script([{"truncate": 10}, {"big": 3 << 20}, {"text": "whole"}])
    status, data, declared = raw_post(fake, "/v1/messages", ANTH_HEADERS)
    assert status == 200 and len(data) == 10 and declared > 10
    status, data, declared = raw_post(fake, "/v1/messages", ANTH_HEADERS)
    assert status == 200 and len(data) == declared == 3 << 20
    assert json.loads(data)["content"][0]["text"] == "x" * len(json.loads(data)["content"][0]["text"])
    assert anth(fake, [{"role": "user", "content": "go"}])[1]["content"][0]["text"] == "whole"
