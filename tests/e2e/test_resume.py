"""A second leaf on a session continues the same conversation: the model sees all of it."""

import pytest

import harness_env as he
from fake_model import neutral_messages, user_texts

SCRIPT = [
    {"tool_calls": [{"name": "bash", "input": {"command": "echo one > one.txt"}}]},
    {"text": "first done"},
    {"text": "second done"},
    {"text": "third done"},
]


def requests_since(fake, n):
    return fake.replies()[n:]


def conversation(record):
    """The request's messages without the system prompt (which may name the leaf)."""
    return [m for m in neutral_messages(record) if m["role"] != "system"]


@pytest.mark.parametrize("provider", ["anthropic", "openai"])
def test_resume_and_submit_session_send_the_whole_conversation(daemon, fake, workdir, provider):
    fake.set_script(SCRIPT)
    first = daemon.submit("first task", "--model", provider, "--workdir", workdir)
    leaf1 = daemon.wait_leaf(first)
    assert leaf1["state"] == "succeeded" and leaf1["result"] == "first done"
    session = leaf1["session"]
    history1 = conversation(fake.replies()[-1])  # what the model saw on leaf 1's last turn

    n = len(fake.replies())
    code, out, err = daemon.ctl("resume", session, "next", "-q", "--model", provider)
    assert code == 0, err
    second = out.strip()
    assert second.startswith("lf_") and second != first
    leaf2 = daemon.wait_leaf(second)
    assert leaf2["state"] == "succeeded" and leaf2["result"] == "second done"
    assert leaf2["session"] == session
    [req2] = requests_since(fake, n)
    seen = conversation(req2)
    # Exactly the earlier conversation, then leaf 1's answer, then the new prompt.
    assert seen[:len(history1)] == history1
    tail = seen[len(history1):]
    assert [(m["role"], m["text"]) for m in tail] == [("assistant", "first done"), ("user", "next")]
    assert user_texts(req2) == ["first task", "next"]
    assert any(c["name"] == "bash" for m in seen for c in m["tool_calls"])
    assert any(m["tool_results"] for m in seen)

    n = len(fake.replies())
    third = daemon.submit("third", "--session", session, "--model", provider)
    leaf3 = daemon.wait_leaf(third)
    assert leaf3["state"] == "succeeded" and leaf3["result"] == "third done"
    assert leaf3["session"] == session
    [req3] = requests_since(fake, n)
    assert user_texts(req3) == ["first task", "next", "third"]
    assert conversation(req3)[:len(seen)] == seen

    code, out, _ = daemon.ctl("ls", "--session", session, "-o", "json")
    assert code == 0
    assert set(he.ls_ids(out)) == {first, second, third}
    assert fake.errors == []


def test_resume_unknown_session_is_9(daemon):
    code, out, err = daemon.ctl("resume", "ses_00000000000000000000000000", "hello")
    assert code == 9, (out, err)
    assert daemon.leaves() == []
