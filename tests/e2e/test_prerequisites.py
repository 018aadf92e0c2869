"""The prerequisite helper of harness_env: a missing prerequisite skips a test, except in CI mode
(CI=true or HARNESS_REQUIRE_SANDBOX=1) where it fails it. Needs no daemon."""

import pytest

import harness_env as he


@pytest.fixture
def absent(monkeypatch):
    monkeypatch.setitem(he.PREREQUISITES, "absent-thing", lambda: "not on this machine")
    monkeypatch.setitem(he.PREREQUISITES, "present-thing", lambda: None)
    monkeypatch.setattr(he, "_missing_cache", {})
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("HARNESS_REQUIRE_SANDBOX", raising=False)
    return monkeypatch


def test_missing_prerequisite_skips_with_the_reason(absent):
    with pytest.raises(pytest.skip.Exception, match="not on this machine.*runs things"):
        he.require("absent-thing", "runs things")


@pytest.mark.parametrize("name,value", [("CI", "true"), ("CI", "1"), ("HARNESS_REQUIRE_SANDBOX", "1")])
def test_missing_prerequisite_fails_in_ci_mode(absent, name, value):
    absent.setenv(name, value)
    with pytest.raises(pytest.fail.Exception, match="missing prerequisite absent-thing"):
        he.require("absent-thing", "runs things")
    with pytest.raises(pytest.fail.Exception, match="podman run fails"):
        he.unavailable("absent-thing", "podman run fails")


def test_present_prerequisite_lets_the_test_run(absent):
    absent.setenv("CI", "true")
    he.require("present-thing", "runs things")  # neither skips nor fails


def test_ci_false_is_not_ci_mode(absent):
    absent.setenv("CI", "false")
    assert not he.ci_mode()
