"""`harnessctl doctor` against a real harnessd (GET /v1/doctor): every sandbox profile is started
for real, every model profile's configuration checked, exit codes 0 / 3 / 10."""

import json

import harness_env as he


def test_all_ready_exits_zero(make_daemon, fake):
    d = make_daemon()
    code, out, err = d.ctl("doctor", timeout=120)
    assert code == 0, out + err
    assert "✔ sandbox default" in out and "✔ store" in out and "✔ model default" in out
    assert "✘" not in out
    assert he.API_KEY not in out
    # The build's harness-exec is found and bwrap talks to it, not to a shell.
    assert "channel harness-exec" in out


def test_problems_are_named_with_a_fix(make_daemon, fake, tmp_path):
    sandboxes = {"default": {"driver": "bwrap", "network": False},
                 "broken": {"driver": "bwrap", "binary": "/nonexistent/bwrap"}}
    models = {"default": he.anthropic_model(fake),
              "nokey": he.anthropic_model(fake, api_key_env="HARNESS_TEST_UNSET_KEY"),
              "canned": he.replay_model(tmp_path / "missing.json")}
    d = make_daemon(sandboxes=sandboxes, models=models)
    code, out, err = d.ctl("doctor", timeout=120)
    assert code == 3, out + err
    assert "✔ sandbox default" in out
    assert "✘ sandbox broken" in out and "apt-get install bubblewrap" in out
    assert "✘ model nokey" in out and "HARNESS_TEST_UNSET_KEY" in out
    assert "✘ model canned" in out and "missing.json" in out
    assert he.API_KEY not in out

    code, out, err = d.ctl("doctor", "-o", "json", timeout=120)
    assert code == 3
    report = json.loads(out)
    assert report["schema"] == 1 and report["ok"] is False
    assert report["daemon"]["state_dir"] == str(d.state_dir)
    by_name = {(c["kind"], c["name"]): c for c in report["checks"]}
    assert by_name[("store", "store")]["ok"] is True
    assert by_name[("sandbox", "default")]["ok"] is True and by_name[("sandbox", "default")]["fix"] is None
    assert by_name[("sandbox", "broken")]["ok"] is False and by_name[("sandbox", "broken")]["fix"]
    assert by_name[("model", "default")]["ok"] is True
    assert by_name[("model", "nokey")]["ok"] is False


def test_unreachable_daemon_exits_ten(tmp_path):
    code, out, err = he.run_ctl(tmp_path / "no.sock", "doctor")
    assert code == 10
    assert "harnessd" in out + err and "start it" in out + err


def test_a_keyless_openai_server_needs_no_api_key_env(make_daemon):
    """An openai profile at a local base_url without api_key_env (a llama.cpp server): the
    requests carry no credential header at all, and doctor calls that fine."""
    from fake_model import FakeModel

    keyless = FakeModel(api_key=None).start()
    try:
        keyless.set_script([], default={"text": "local answer"})
        models = {"default": {"provider": "openai", "base_url": keyless.openai_base,
                              "model": "qwen-local"}}
        d = make_daemon(models=models)
        leaf_id = d.submit("hello")
        leaf = d.wait_leaf(leaf_id)
        assert leaf["state"] == "succeeded" and leaf["result"] == "local answer", leaf
        requests = keyless.model_requests()
        assert requests and all(r["status"] == 200 for r in requests), requests
        for r in requests:
            assert "authorization" not in r["headers"] and "x-api-key" not in r["headers"], r["headers"]

        code, out, err = d.ctl("doctor", timeout=120)
        assert code == 0, out + err
        assert "✔ model default" in out and "no credential (keyless server)" in out, out
    finally:
        keyless.stop()
