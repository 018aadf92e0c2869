"""Record and replay (issue 10 item 4): `run --record FILE` against the fake model writes the
leaf's model responses in the replay provider's format; the same prompt against a replay
profile with that file makes the same tool calls and gives the same result, with no model."""

import json

import harness_env as he

SCRIPT = [
    {"tool_calls": [{"name": "bash", "input": {"command": "printf 'recorded\\n' > made.txt"}}]},
    {"tool_calls": [{"name": "bash", "input": {"command": "cat made.txt"}}]},
    {"text": "the file says recorded"},
]
PROMPT = "make a file and read it back"


def tool_inputs(daemon, leaf_id):
    return [(e["data"]["name"], e["data"]["input"]) for e in daemon.events(leaf_id)
            if e["type"] == "tool_started"]


def test_record_then_replay_gives_the_same_calls_and_result(make_daemon, fake, tmp_path):
    rec = tmp_path / "rec.json"
    d = make_daemon(models={"default": he.anthropic_model(fake), "replay": he.replay_model(rec)})
    fake.set_script(SCRIPT)
    live_dir, replay_dir = tmp_path / "live", tmp_path / "replayed"
    live_dir.mkdir()
    replay_dir.mkdir()

    code, out, err = d.ctl("run", PROMPT, "--workdir", live_dir, "--record", rec)
    assert code == 0, err
    assert out.strip() == "the file says recorded"
    assert "recorded 3 model responses to" in err
    recorded = json.loads(rec.read_text())
    assert len(recorded["responses"]) == 3
    [live] = d.leaves()
    assert recorded["leaf"] == live["id"]
    n = len(fake.model_requests())

    code, out, err = d.ctl("submit", PROMPT, "--model", "replay", "--workdir", replay_dir,
                           "--wait", "-o", "json")
    assert code == 0, err
    replayed = json.loads(out)
    assert replayed["state"] == "succeeded" and replayed["result"] == live["result"] == \
        "the file says recorded"
    assert tool_inputs(d, replayed["id"]) == tool_inputs(d, live["id"])
    assert len(tool_inputs(d, live["id"])) == 2
    assert (replay_dir / "made.txt").read_text() == (live_dir / "made.txt").read_text() == \
        "recorded\n"
    assert len(fake.model_requests()) == n, "the replay asked no model"


def test_record_needs_wait_and_a_writable_place(daemon, fake, tmp_path):
    fake.set_script([{"text": "hi"}])
    code, out, err = daemon.ctl("submit", "hello", "--record", tmp_path / "r.json")
    assert code == 2 and "--record needs --wait" in err, (code, out, err)
    code, out, err = daemon.ctl("run", "hello", "--record", tmp_path / "missing" / "r.json")
    assert code == 2 and "does not exist" in err, (code, out, err)
    assert daemon.leaves() == [], "a refused --record submitted nothing"
    assert not (tmp_path / "r.json").exists()
