#!/usr/bin/env python3
"""A scripted fake model server speaking the real Anthropic Messages and OpenAI Chat Completions
wire formats, for end-to-end tests and benchmarks of harnessd.

Threads: ThreadingHTTPServer answers each connection on its own thread; everything shared (the
script cursor, the request log, counters) is guarded by one lock.

Script: a list of steps. A *reply* step is provider-neutral:
    {"text": "...", "tool_calls": [{"name": "bash", "input": {...}, "id"?: "..."}],
     "usage"?: {"input_tokens": N, "output_tokens": M, "cache_read_input_tokens"?: R,
                "cache_creation_input_tokens"?: W}, "delay"?: seconds (every time)}
A *fault* step is one of
    {"status": 529} / {"status": 500, "retry_after": 1}   answer that HTTP error
    {"status": 502, "body": b"..."} / "body_b64": "..."   ... with exactly these body bytes
    {"delay": 2.5}                                        wait, then answer the turn's reply
    {"hang": true}                                        never answer (until stop())
    {"close": true}                                       drop the connection, no answer
    {"truncate": N}                                       the turn's reply, cut after N bytes
                                                          (Content-Length promises it all)
    {"big": N}                                            a 200 whose JSON body is N bytes
A reply step may carry {"raw_bytes": {"@@X@@": b"\xff" or "<base64>"}}: in the serialised
answer every "@@X@@" (placed in its text or a tool input) becomes those raw bytes, so a JSON
string holds bytes that are not UTF-8.
Fault steps belong to the reply step that follows them. A request is answered by turn: turn k
is the number of assistant messages already in the request, so a repeated call (after a crash,
or on a resumed session) gets the same answer. Each fault is used once, in order, by the first
requests of its turn; later requests of that turn get the reply. Past the script's end the
`default` reply (if any) answers every turn.

Validation mirrors the real APIs closely enough that malformed requests get a 400 that names
the problem (and a 401 for a missing or wrong key when the server has an api_key).
"""

import argparse
import base64
import json
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANTHROPIC_PATH = "/v1/messages"
OPENAI_PATH = "/v1/chat/completions"
FAULT_KEYS = ("status", "hang", "close", "truncate", "big")


class RequestError(Exception):
    """A request the real API would refuse: status, error type, message."""

    def __init__(self, status, etype, message):
        super().__init__(message)
        self.status = status
        self.etype = etype
        self.message = message


def is_fault(step):
    if any(k in step for k in FAULT_KEYS):
        return True
    # A bare {"delay": s} is a one-shot fault; a reply with a delay field is a slow reply.
    return "delay" in step and "text" not in step and "tool_calls" not in step


def compile_script(steps):
    """Splits a flat step list into per-turn (faults, reply) pairs."""
    turns, pending = [], []
    for step in steps:
        if not isinstance(step, dict):
            raise ValueError(f"script step must be an object: {step!r}")
        if is_fault(step):
            pending.append(dict(step))
        else:
            turns.append({"faults": pending, "reply": dict(step)})
            pending = []
    if pending:
        turns.append({"faults": pending, "reply": None})
    return turns


# ---------------------------------------------------------------- Anthropic validation


def _anthropic_blocks(content, where):
    if isinstance(content, str):
        if content == "":
            raise RequestError(400, "invalid_request_error", f"{where}: text content blocks must be non-empty")
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise RequestError(400, "invalid_request_error", f"{where}.content: Input should be a valid list")
    for i, b in enumerate(content):
        if not isinstance(b, dict) or "type" not in b:
            raise RequestError(400, "invalid_request_error", f"{where}.content.{i}: block needs a type")
        t = b["type"]
        if t == "text":
            if not isinstance(b.get("text"), str) or b["text"] == "":
                raise RequestError(400, "invalid_request_error",
                                   f"{where}.content.{i}: text content blocks must be non-empty")
        elif t == "tool_use":
            if not isinstance(b.get("id"), str) or not isinstance(b.get("name"), str):
                raise RequestError(400, "invalid_request_error", f"{where}.content.{i}.tool_use: id and name required")
            if not isinstance(b.get("input"), dict):
                raise RequestError(400, "invalid_request_error",
                                   f"{where}.content.{i}.tool_use.input: Input should be a valid dictionary")
        elif t == "tool_result":
            if not isinstance(b.get("tool_use_id"), str):
                raise RequestError(400, "invalid_request_error",
                                   f"{where}.content.{i}.tool_result.tool_use_id: Field required")
            c = b.get("content", "")
            if not isinstance(c, (str, list)):
                raise RequestError(400, "invalid_request_error",
                                   f"{where}.content.{i}.tool_result.content: Input should be a valid list")
        elif t not in ("image", "document", "thinking", "redacted_thinking"):
            raise RequestError(400, "invalid_request_error", f"{where}.content.{i}: unknown block type '{t}'")
    return content


def validate_anthropic(headers, body, api_key):
    if api_key is not None:
        bearer = headers.get("authorization", "")
        if headers.get("x-api-key") != api_key and bearer != f"Bearer {api_key}":
            raise RequestError(401, "authentication_error", "invalid x-api-key")
    if not headers.get("anthropic-version"):
        raise RequestError(400, "invalid_request_error", "anthropic-version: header is required")
    if not isinstance(body, dict):
        raise RequestError(400, "invalid_request_error", "request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise RequestError(400, "invalid_request_error", "model: Field required")
    mt = body.get("max_tokens")
    if not isinstance(mt, int) or isinstance(mt, bool) or mt < 1:
        raise RequestError(400, "invalid_request_error", "max_tokens: Field required")
    if body.get("stream"):
        raise RequestError(400, "invalid_request_error", "fake_model: streaming is not supported")
    system = body.get("system")
    if system is not None and not isinstance(system, (str, list)):
        raise RequestError(400, "invalid_request_error", "system: Input should be a valid string or list")
    tools = body.get("tools", [])
    if not isinstance(tools, list):
        raise RequestError(400, "invalid_request_error", "tools: Input should be a valid list")
    for i, t in enumerate(tools):
        if not isinstance(t, dict) or not isinstance(t.get("name"), str):
            raise RequestError(400, "invalid_request_error", f"tools.{i}.name: Field required")
        schema = t.get("input_schema")
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise RequestError(400, "invalid_request_error", f"tools.{i}.input_schema.type: Input should be 'object'")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise RequestError(400, "invalid_request_error", "messages: at least one message is required")
    prev_tool_ids = set()
    for i, m in enumerate(msgs):
        where = f"messages.{i}"
        if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
            raise RequestError(400, "invalid_request_error", f"{where}.role: Input should be 'user' or 'assistant'")
        expected = "user" if i % 2 == 0 else "assistant"
        if m["role"] != expected:
            raise RequestError(400, "invalid_request_error",
                               f"messages: roles must alternate between \"user\" and \"assistant\" ({where} is "
                               f"'{m['role']}')")
        blocks = _anthropic_blocks(m.get("content"), where)
        if m["role"] == "user":
            results = [b["tool_use_id"] for b in blocks if b["type"] == "tool_result"]
            if any(b["type"] == "tool_result" for b in blocks) and any(b["type"] == "text" for b in blocks):
                # Real API accepts text after tool_results; it only needs results first.
                first_text = next(j for j, b in enumerate(blocks) if b["type"] == "text")
                last_result = max(j for j, b in enumerate(blocks) if b["type"] == "tool_result")
                if first_text < last_result:
                    raise RequestError(400, "invalid_request_error",
                                       f"{where}: tool_result blocks must come before any text")
            for rid in results:
                if rid not in prev_tool_ids:
                    raise RequestError(400, "invalid_request_error",
                                       f"{where}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                                       f"{rid}. Each `tool_result` block must have a corresponding `tool_use` "
                                       "block in the previous message.")
            missing = sorted(prev_tool_ids - set(results))
            if missing:
                raise RequestError(400, "invalid_request_error",
                                   f"{where}: `tool_use` ids were found without `tool_result` blocks immediately "
                                   f"after: {', '.join(missing)}. Each `tool_use` block must have a corresponding "
                                   "`tool_result` block in the next message.")
            prev_tool_ids = set()
        else:
            ids = [b["id"] for b in blocks if b["type"] == "tool_use"]
            if len(set(ids)) != len(ids):
                raise RequestError(400, "invalid_request_error", f"{where}: `tool_use` ids must be unique")
            prev_tool_ids = set(ids)
    if msgs[-1]["role"] == "assistant" and prev_tool_ids:
        raise RequestError(400, "invalid_request_error",
                           "messages: `tool_use` ids were found without `tool_result` blocks immediately after: "
                           + ", ".join(sorted(prev_tool_ids)))


# ---------------------------------------------------------------- OpenAI validation


def validate_openai(headers, body, api_key):
    if api_key is not None and headers.get("authorization", "") != f"Bearer {api_key}":
        raise RequestError(401, "invalid_request_error", "Incorrect API key provided.")
    if not isinstance(body, dict):
        raise RequestError(400, "invalid_request_error", "request body must be a JSON object")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise RequestError(400, "invalid_request_error", "you must provide a model parameter")
    if body.get("stream"):
        raise RequestError(400, "invalid_request_error", "fake_model: streaming is not supported")
    for key in ("max_tokens", "max_completion_tokens"):
        v = body.get(key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise RequestError(400, "invalid_request_error", f"Invalid '{key}': expected a positive integer")
    tools = body.get("tools", [])
    if not isinstance(tools, list):
        raise RequestError(400, "invalid_request_error", "Invalid type for 'tools': expected an array")
    for i, t in enumerate(tools):
        fn = t.get("function") if isinstance(t, dict) else None
        if not isinstance(t, dict) or t.get("type") != "function" or not isinstance(fn, dict) \
                or not isinstance(fn.get("name"), str):
            raise RequestError(400, "invalid_request_error", f"Missing required parameter: 'tools[{i}].function'")
        params = fn.get("parameters")
        if params is not None and (not isinstance(params, dict) or params.get("type") != "object"):
            raise RequestError(400, "invalid_request_error",
                               f"Invalid schema for function '{fn['name']}': schema must be a JSON Schema of "
                               "'type: \"object\"'")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise RequestError(400, "invalid_request_error", "Invalid 'messages': empty array.")
    open_calls = []  # tool_call ids of the last assistant message still waiting for answers
    for i, m in enumerate(msgs):
        role = m.get("role") if isinstance(m, dict) else None
        if role not in ("system", "developer", "user", "assistant", "tool"):
            raise RequestError(400, "invalid_request_error", f"Invalid value for 'messages[{i}].role'")
        if role == "tool":
            cid = m.get("tool_call_id")
            if cid not in open_calls:
                raise RequestError(400, "invalid_request_error",
                                   "Invalid parameter: messages with role 'tool' must be a response to a "
                                   f"preceeding message with 'tool_calls' (messages[{i}].tool_call_id={cid!r}).")
            open_calls.remove(cid)
            if not isinstance(m.get("content"), (str, list)):
                raise RequestError(400, "invalid_request_error", f"Missing required parameter: 'messages[{i}].content'")
            continue
        if open_calls:
            raise RequestError(400, "invalid_request_error",
                               "An assistant message with 'tool_calls' must be followed by tool messages responding "
                               "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                               + ", ".join(open_calls))
        content = m.get("content")
        calls = m.get("tool_calls") if role == "assistant" else None
        if calls is not None:
            if not isinstance(calls, list):
                raise RequestError(400, "invalid_request_error", f"Invalid type for 'messages[{i}].tool_calls'")
            for j, c in enumerate(calls):
                fn = c.get("function") if isinstance(c, dict) else None
                if not isinstance(c, dict) or not isinstance(c.get("id"), str) or c.get("type") != "function" \
                        or not isinstance(fn, dict) or not isinstance(fn.get("name"), str) \
                        or not isinstance(fn.get("arguments"), str):
                    raise RequestError(400, "invalid_request_error",
                                       f"Invalid 'messages[{i}].tool_calls[{j}]': needs id, type 'function', "
                                       "function.name and function.arguments (a string)")
                try:
                    json.loads(fn["arguments"])
                except ValueError:
                    raise RequestError(400, "invalid_request_error",
                                       f"Invalid 'messages[{i}].tool_calls[{j}].function.arguments': not JSON")
                open_calls.append(c["id"])
        if content is None and not calls:
            raise RequestError(400, "invalid_request_error", f"Missing required parameter: 'messages[{i}].content'")
        if content is not None and not isinstance(content, (str, list)):
            raise RequestError(400, "invalid_request_error", f"Invalid type for 'messages[{i}].content'")
    if open_calls:
        raise RequestError(400, "invalid_request_error",
                           "An assistant message with 'tool_calls' must be followed by tool messages responding "
                           "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                           + ", ".join(open_calls))


# ---------------------------------------------------------------- responses


def default_usage(turn):
    return {"input_tokens": 100 + 10 * turn, "output_tokens": 20 + turn}


def anthropic_response(reply, turn, model, seq):
    content = []
    if reply.get("text"):
        content.append({"type": "text", "text": reply["text"]})
    for i, c in enumerate(reply.get("tool_calls", [])):
        content.append({"type": "tool_use", "id": c.get("id", f"toolu_fake_t{turn}_{i}"),
                        "name": c["name"], "input": c.get("input", {})})
    usage = reply.get("usage", default_usage(turn))
    wire_usage = {"input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"]}
    for k in ("cache_read_input_tokens", "cache_creation_input_tokens"):
        if k in usage:  # Anthropic reports prompt-cache tokens apart from input_tokens
            wire_usage[k] = usage[k]
    return {"id": f"msg_fake_{seq:06d}", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": "tool_use" if reply.get("tool_calls") else "end_turn",
            "stop_sequence": None, "usage": wire_usage}


def openai_response(reply, turn, model, seq):
    message = {"role": "assistant", "content": reply.get("text") or None}
    calls = reply.get("tool_calls", [])
    if calls:
        message["tool_calls"] = [
            {"id": c.get("id", f"call_fake_t{turn}_{i}"), "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c.get("input", {}))}}
            for i, c in enumerate(calls)]
    usage = reply.get("usage", default_usage(turn))
    return {"id": f"chatcmpl-fake{seq:06d}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": usage["input_tokens"], "completion_tokens": usage["output_tokens"],
                      "total_tokens": usage["input_tokens"] + usage["output_tokens"]}}


ANTHROPIC_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                         404: "not_found_error", 408: "timeout_error", 413: "request_too_large",
                         429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}


def error_body(provider, status, etype=None, message=None):
    if provider == "anthropic":
        etype = etype or ANTHROPIC_ERROR_TYPES.get(status, "api_error")
        return {"type": "error", "error": {"type": etype, "message": message or f"fake {etype}"}}
    etype = etype or ("server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message or f"fake error {status}", "type": etype, "param": None, "code": None}}


def count_assistant_turns(body):
    msgs = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(msgs, list):
        return 0
    return sum(1 for m in msgs if isinstance(m, dict) and m.get("role") == "assistant")


# ---------------------------------------------------------------- reading recorded requests


def _text_of(content):
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    return ""


def neutral_messages(record):
    """A recorded request's conversation in provider-neutral form: a list of
    {"role": "user"|"assistant"|"system", "text": str, "tool_calls": [{"id","name","input"}],
     "tool_results": [{"call_id","content","is_error"}]}. OpenAI tool messages fold into one user
    message, as in the Anthropic format, so both providers read the same."""
    body = record.get("body") or {}
    out = []
    if record.get("provider") == "anthropic":
        for m in body.get("messages", []):
            c = m.get("content")
            blocks = c if isinstance(c, list) else []
            out.append({"role": m["role"], "text": _text_of(c),
                        "tool_calls": [{"id": b["id"], "name": b["name"], "input": b.get("input", {})}
                                       for b in blocks if b.get("type") == "tool_use"],
                        "tool_results": [{"call_id": b["tool_use_id"], "content": _text_of(b.get("content", "")),
                                          "is_error": bool(b.get("is_error", False))}
                                         for b in blocks if b.get("type") == "tool_result"]})
        return out
    for m in body.get("messages", []):
        role = m.get("role")
        if role == "tool":
            result = {"call_id": m.get("tool_call_id"), "content": _text_of(m.get("content")), "is_error": False}
            if out and out[-1]["role"] == "user" and out[-1]["tool_results"] and not out[-1]["text"]:
                out[-1]["tool_results"].append(result)
            else:
                out.append({"role": "user", "text": "", "tool_calls": [], "tool_results": [result]})
            continue
        calls = []
        for c in m.get("tool_calls") or []:
            try:
                args = json.loads(c["function"]["arguments"])
            except (ValueError, KeyError, TypeError):
                args = None
            calls.append({"id": c.get("id"), "name": c.get("function", {}).get("name"), "input": args})
        out.append({"role": "system" if role == "developer" else role, "text": _text_of(m.get("content")),
                    "tool_calls": calls, "tool_results": []})
    return out


def tool_results(record):
    """{call_id: content} of every tool result in a recorded request."""
    return {r["call_id"]: r["content"] for m in neutral_messages(record) for r in m["tool_results"]}


def user_texts(record):
    """The text of every user message in a recorded request, in order (tool results excluded)."""
    return [m["text"] for m in neutral_messages(record) if m["role"] == "user" and m["text"]]


# ---------------------------------------------------------------- server


class FakeModel:
    """The fake server. start() binds 127.0.0.1:port (0 = any) and serves on a thread."""

    def __init__(self, script=None, default=None, api_key=None, port=0):
        self.api_key = api_key
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._port = port
        self._server = None
        self._thread = None
        self.requests = []      # every request: see _record()
        self.errors = []        # script problems (exhausted script...), for tests to assert empty
        self.in_flight = 0
        self.max_in_flight = 0
        self._seq = 0
        self.set_script(script or [], default=default)

    # -- script

    def set_script(self, steps, default=None):
        """Replaces the script (a list of steps) and resets fault consumption."""
        with self._lock:
            self._turns = compile_script(steps)
            self._default = dict(default) if default else None
            self._script_by_match = []

    def add_script(self, match, steps, default=None):
        """A separate script for conversations whose first user message contains `match`."""
        with self._lock:
            self._script_by_match.append((match, compile_script(steps), dict(default) if default else None))

    def _pick(self, body, turn):
        """Returns (kind, step, reply): kind 'fault' (step is the fault, reply the turn's answer
        after a delay fault), 'reply', or 'exhausted'. The caller holds the lock."""
        turns, default = self._turns, self._default
        first = first_user_text(body)
        for match, t, d in self._script_by_match:
            if match in first:
                turns, default = t, d
                break
        reply = default
        if turn < len(turns) and turns[turn]["reply"] is not None:
            reply = turns[turn]["reply"]
        if turn < len(turns) and turns[turn]["faults"]:
            return "fault", turns[turn]["faults"].pop(0), reply
        if reply is not None:
            return "reply", reply, reply
        return "exhausted", None, None

    # -- lifecycle

    def start(self):
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-model", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def anthropic_base(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base(self):
        return f"http://127.0.0.1:{self.port}/v1"

    # -- assertions helpers

    def model_requests(self):
        """Recorded requests to the two model routes (not control routes), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r["path"] in (ANTHROPIC_PATH, OPENAI_PATH)]

    def replies(self):
        """The requests that were answered 200 with a scripted reply."""
        return [r for r in self.model_requests() if r.get("status") == 200]

    def usage_totals(self):
        """Summed usage of every 200 answer, in Anthropic names."""
        tin = sum(r["usage"]["input_tokens"] for r in self.replies())
        tout = sum(r["usage"]["output_tokens"] for r in self.replies())
        return {"input_tokens": tin, "output_tokens": tout}

    def wait_for(self, predicate, timeout=30.0, interval=0.02):
        """Polls predicate(self) until true or the deadline; returns whether it became true."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return True
            time.sleep(interval)
        return bool(predicate(self))

    def stats(self):
        with self._lock:
            return {"requests": len(self.requests), "in_flight": self.in_flight,
                    "max_in_flight": self.max_in_flight, "errors": list(self.errors)}

    # -- used by the handler

    def _begin(self, record):
        with self._lock:
            self.requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._seq += 1
            return self._seq

    def _end(self):
        with self._lock:
            self.in_flight -= 1


def first_user_text(body):
    msgs = body.get("messages") if isinstance(body, dict) else None
    for m in msgs if isinstance(msgs, list) else []:
        if isinstance(m, dict) and m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return " ".join(b.get("text", "") for b in c if isinstance(b, dict))
    return ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Answer at once: without it, headers and body go out as separate segments and Nagle plus
    # the client's delayed ACK add ~40 ms to every kept-alive request.
    disable_nagle_algorithm = True
    fake = None  # set per server by FakeModel.start()

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def _read_body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n else b""

    def _send_json(self, status, obj, extra_headers=None):
        self._send_raw(status, json.dumps(obj).encode(), extra_headers)

    def _send_raw(self, status, data, extra_headers=None, content_type="application/json", length=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _send_big(self, size):
        """A well-formed 200 of `size` bytes: one huge text block, written in pieces."""
        head, tail = b'{"type":"message","role":"assistant","content":[{"type":"text","text":"', b'"}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.write(head)
        left = size - len(head) - len(tail)
        piece = b"x" * (1 << 20)
        while left > 0:
            n = min(left, len(piece))
            self.wfile.write(piece[:n])
            left -= n
        self.wfile.write(tail)
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/_fake/requests":
            with self.fake._lock:
                reqs = list(self.fake.requests)
            return self._send_json(200, {"requests": reqs})
        if self.path == "/_fake/stats":
            return self._send_json(200, self.fake.stats())
        self._send_json(404, {"error": {"message": f"no route GET {self.path}"}})

    def do_POST(self):
        started = time.time()  # the request's head has arrived; its body may still be coming
        raw = self._read_body()
        provider = {ANTHROPIC_PATH: "anthropic", OPENAI_PATH: "openai"}.get(self.path.split("?")[0])
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        record = {"path": self.path, "method": "POST", "provider": provider, "headers": headers, "body": body,
                  "raw_size": len(raw), "started": started, "time": time.time(), "status": None, "turn": None}
        fake = self.fake
        seq = fake._begin(record)
        try:
            self._answer(fake, provider, headers, raw, body, record, seq)
        except (BrokenPipeError, ConnectionResetError):
            record["status"] = "client_gone"
        finally:
            fake._end()

    def _answer(self, fake, provider, headers, raw, body, record, seq):
        if provider is None:
            record["status"] = 404
            return self._send_json(404, {"error": {"message": f"no route POST {self.path}"}})
        if body is None:
            record["status"] = 400
            return self._send_json(400, error_body(provider, 400, "invalid_request_error",
                                                   "There was an error parsing the body: invalid JSON"))
        try:
            (validate_anthropic if provider == "anthropic" else validate_openai)(headers, body, fake.api_key)
        except RequestError as e:
            record["status"] = e.status
            record["error"] = e.message
            return self._send_json(e.status, error_body(provider, e.status, e.etype, e.message))
        turn = count_assistant_turns(body)
        record["turn"] = turn
        with fake._lock:
            kind, step, reply = fake._pick(body, turn)
            if kind == "exhausted":
                fake.errors.append(f"script exhausted at turn {turn}")
        if kind == "exhausted":
            record["status"] = 500
            return self._send_json(500, error_body(provider, 500, None, f"fake_model: script exhausted at turn {turn}"))
        if kind == "fault":
            record["fault"] = step
            if step.get("hang"):
                fake._stopping.wait()
                record["status"] = "hung"
                self.close_connection = True
                return
            if step.get("close"):
                record["status"] = "closed"
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                return
            if step.get("big"):
                record["status"] = "big"
                self.close_connection = True
                return self._send_big(int(step["big"]))
            if "status" in step:
                record["status"] = step["status"]
                extra = {"retry-after": str(step["retry_after"])} if "retry_after" in step else None
                raw = _raw(step.get("body", step.get("body_b64")))
                if raw is not None:
                    return self._send_raw(step["status"], raw, extra, content_type="text/html")
                return self._send_json(step["status"], error_body(provider, step["status"], step.get("type"),
                                                                  step.get("message")), extra)
            if "truncate" in step:
                if reply is None:
                    record["status"] = 500
                    return self._send_json(500, error_body(provider, 500, None, "fake_model: no reply to truncate"))
                record["status"] = "truncated"
                data = self._reply_bytes(provider, reply, turn, body, seq)
                self.close_connection = True
                return self._send_raw(200, data[:int(step["truncate"])], length=len(data))
            fake._stopping.wait(step["delay"])
            if reply is None:
                record["status"] = 500
                return self._send_json(500, error_body(provider, 500, None, "fake_model: no reply after the delay"))
            step = reply
        if step.get("delay"):
            fake._stopping.wait(step["delay"])
        data = self._reply_bytes(provider, step, turn, body, seq, record)
        record["status"] = 200
        record["usage"] = step.get("usage", default_usage(turn))
        self._send_raw(200, data, {"request-id": f"req_fake_{seq:06d}"})

    @staticmethod
    def _reply_bytes(provider, step, turn, body, seq, record=None):
        model = body.get("model", "fake")
        resp = (anthropic_response if provider == "anthropic" else openai_response)(step, turn, model, seq)
        if record is not None:
            record["response"] = resp
        data = json.dumps(resp).encode()
        for placeholder, raw in (step.get("raw_bytes") or {}).items():
            data = data.replace(placeholder.encode(), _raw(raw))
        return data


def _raw(value):
    """Bytes given as bytes, or as a base64 string (scripts read from JSON files); None stays None."""
    if value is None or isinstance(value, bytes):
        return value
    return base64.b64decode(value)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Scripted fake Anthropic/OpenAI model server.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--script", help="JSON file: a list of steps, or {\"steps\":[…],\"default\":{…}}")
    ap.add_argument("--api-key", default=None, help="require this key (x-api-key or Bearer)")
    args = ap.parse_args(argv)
    steps, default = [], None
    if args.script:
        with open(args.script) as f:
            doc = json.load(f)
        if isinstance(doc, dict):
            steps, default = doc.get("steps", []), doc.get("default")
            args.api_key = args.api_key or doc.get("api_key")
        else:
            steps = doc
    fake = FakeModel(steps, default=default, api_key=args.api_key, port=args.port).start()
    print(fake.port, flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
