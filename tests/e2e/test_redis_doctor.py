"""`harnessctl doctor` with a Redis store reads the server's persistence settings and says what
an acknowledged event survives (issue 9 item 7; docs/redis.md "Durability"), against a real
redis-server started with each setting."""

import json

import pytest

from redis_server import RedisServer, binary

CASES = {
    # name: (redis-server arguments, doctor's mark, exit code, words in the line, words in the fix)
    "always": (["--appendfsync", "always"], "✔", 0, "appendfsync always", None),
    "everysec": (["--appendfsync", "everysec"], "!", 0, "last second", "appendfsync always"),
    "rdb": (["--appendonly", "no", "--save", "3600 1"], "✘", 3, "save 3600 1", "appendonly yes"),
    "none": (["--appendonly", "no"], "✘", 3, "no RDB snapshots", "appendonly yes"),
    "config disabled": (["--appendfsync", "always", "--rename-command", "CONFIG", ""], "!", 0,
                        "fsync policy unknown", "appendfsync always"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_doctor_reports_what_redis_persistence_keeps(make_daemon, fake, tmp_path, case):
    if not binary():
        pytest.skip("SKIPPED (prerequisite): redis-server is not installed (scripts/install-deps.sh)")
    args, mark, want_code, words, fix = CASES[case]
    redis = RedisServer(tmp_path / "redis", args).start()
    try:
        d = make_daemon(extra={"store": redis.url(), "node": "doc"})
        code, out, err = d.ctl("doctor", timeout=120)
        assert code == want_code, out + err
        [line] = [l for l in out.splitlines() if "store persistence" in l]
        assert line.startswith(mark) and words in line, out
        if fix:
            after = out.split(line, 1)[1].splitlines()[1]
            assert after.strip().startswith("fix:") and fix in after, out
        code, out, _ = d.ctl("doctor", "-o", "json", timeout=120)
        [check] = [c for c in json.loads(out)["checks"] if c["name"] == "persistence"]
        assert check["ok"] is (mark != "✘") and check["warning"] is (mark == "!"), check
    finally:
        redis.stop()
