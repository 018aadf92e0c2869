"""Resuming from the history cache (docs/performance.md): a warm daemon keeps a session's history
between its leaves and reads only the events written since; after a restart the whole log is
read again. Either way the model sees the same, whole conversation."""

import signal

from fake_model import neutral_messages, user_texts
from test_gates import ASK_POLICY, PUSH, bash, wait_parked
from test_redis_nodes import node_config, redis  # noqa: F401 (a fixture)

SCRIPT = [
    # Leaf 1: a call that runs, one the policy denies, then one parked at a gate (approved).
    {"tool_calls": [{"name": "bash", "input": {"command": "echo one"}},
                    {"name": "write_file", "input": {"path": "x.txt", "content": "x"}}]},
    bash(PUSH),
    {"text": "first done"},
    {"text": "second done"},
    {"text": "third done"},
    {"text": "fourth done"},
]
POLICIES = {"default": {**ASK_POLICY["default"], "deny": ["write_file"]}}


def conversation(record):
    return [m for m in neutral_messages(record) if m["role"] != "system"]


def resume(d, fake, session, prompt, answer):
    n = len(fake.replies())
    code, out, err = d.ctl("resume", session, prompt, "-q")
    assert code == 0, err
    leaf = d.wait_leaf(out.strip())
    assert leaf["state"] == "succeeded" and leaf["result"] == answer, leaf
    [req] = fake.replies()[n:]
    return req


def test_resume_warm_twice_then_cold_after_restart_sends_the_whole_conversation(make_daemon, fake):
    fake.set_script(SCRIPT)
    d = make_daemon(extra={"policies": POLICIES})
    first = d.submit("first task")
    wait_parked(d, first)
    code, _, err = d.ctl("approve", first, "-m", "ok")
    assert code == 0, err
    leaf1 = d.wait_leaf(first)
    assert leaf1["state"] == "succeeded" and leaf1["result"] == "first done", leaf1
    session = leaf1["session"]
    seen = conversation(fake.replies()[-1])
    results = [r for m in seen for r in m["tool_results"]]
    assert any("denied by policy" in r["content"] for r in results), results

    answer = "first done"
    cached_before = d.log_text().count("history from the cache")
    for prompt, reply in (("second", "second done"), ("third", "third done")):
        req = resume(d, fake, session, prompt, reply)
        now = conversation(req)
        assert now[:len(seen)] == seen
        assert [(m["role"], m["text"]) for m in now[len(seen):]] == [("assistant", answer), ("user", prompt)]
        seen, answer = now, reply
    # Both resumes took the history from the cache, not from the whole log.
    assert d.log_text().count("history from the cache") == cached_before + 2

    d.restart()
    warm_text = d.log_text().count("history from the cache")
    req = resume(d, fake, session, "fourth", "fourth done")
    now = conversation(req)
    assert now[:len(seen)] == seen
    assert [(m["role"], m["text"]) for m in now[len(seen):]] == [("assistant", "third done"), ("user", "fourth")]
    assert user_texts(req) == ["first task", "second", "third", "fourth"]
    assert d.log_text().count("history from the cache") == warm_text  # cold: the log was read
    assert fake.errors == []


def test_resume_with_the_cache_off_reads_the_log(make_daemon, fake):
    fake.set_script([{"text": "one"}, {"text": "two"}])
    d = make_daemon(extra={"history_cache_bytes": 0})
    leaf = d.wait_leaf(d.submit("hello"))
    req = resume(d, fake, leaf["session"], "again", "two")
    assert user_texts(req) == ["hello", "again"]
    assert "history from the cache" not in d.log_text()


def test_a_cached_daemon_still_sees_what_another_daemon_wrote_on_a_shared_store(make_daemon, redis, fake):
    """alpha keeps the session's history; beta (alpha paused) runs a leaf on it; alpha's next
    resume must read beta's events after its cached ones, not send its stale history."""
    fake.set_script([{"text": "first done"}, {"text": "second done"}, {"text": "third done"}])
    a = make_daemon(extra=node_config(redis, "alpha"))
    b = make_daemon(extra=node_config(redis, "beta"), start=False)
    leaf1 = a.wait_leaf(a.submit("first"))
    assert leaf1["state"] == "succeeded" and leaf1["node"] == "alpha"
    session = leaf1["session"]

    a.proc.send_signal(signal.SIGSTOP)
    try:
        b.start()
        req2 = resume(b, fake, session, "second", "second done")
        assert user_texts(req2) == ["first", "second"]
        b.stop()
    finally:
        a.proc.send_signal(signal.SIGCONT)

    cached_before = a.log_text().count("history from the cache")
    req3 = resume(a, fake, session, "third", "third done")
    assert user_texts(req3) == ["first", "second", "third"]
    assert [(m["role"], m["text"]) for m in conversation(req3)] == [
        ("user", "first"), ("assistant", "first done"), ("user", "second"),
        ("assistant", "second done"), ("user", "third")]
    # alpha used its cache, and read beta's events after it.
    assert a.log_text().count("history from the cache") == cached_before + 1
