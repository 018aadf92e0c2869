"""Fixtures for the end-to-end tests.

- `fake`: a started FakeModel requiring the test API key (harness_env.API_KEY).
- `make_daemon(models=…, sandboxes=…, max_running=…, extra=…, start=True)`: a harnessd in a
  fresh temp dir; models default to `default`/`anthropic` (Anthropic format) and `openai`
  (OpenAI format), all served by `fake`; sandboxes default to `default` (bwrap, no network).
- `daemon`: make_daemon() with those defaults, already ready.
- `daemon_factory`: make_daemon without the bwrap skip (for leaves that never run a tool).
- `workdir`: an empty directory to pass as --workdir.
- `needs_bwrap`: skips when `bwrap --ro-bind / / true` fails on this machine (fails in CI mode).
Prerequisites (bwrap, podman, busybox, redis-server, root...) go through harness_env.require():
a skip normally, a failure when CI=true or HARNESS_REQUIRE_SANDBOX=1. Never call pytest.skip
for a missing prerequisite directly.
When a test fails, each of its daemons' logs is attached to the report. A daemon whose log shows
a sanitizer report (ASan, LSan, UBSan builds) fails the test at teardown, with the report.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import harness_env as he  # noqa: E402
from fake_model import FakeModel  # noqa: E402


@pytest.fixture
def needs_bwrap():
    he.require("bwrap", "runs tools in a bwrap sandbox")


@pytest.fixture
def fake():
    f = FakeModel(api_key=he.API_KEY).start()
    yield f
    f.stop()


@pytest.fixture
def workdir(tmp_path):
    d = tmp_path / "work"
    d.mkdir()
    return d


def default_models(fake):
    return {"default": he.anthropic_model(fake), "anthropic": he.anthropic_model(fake),
            "openai": he.openai_model(fake)}


def default_sandboxes():
    return {"default": {"driver": "bwrap", "network": False}}


@pytest.fixture
def daemon_factory(request, tmp_path, fake):
    """make_daemon without the bwrap check, for tests whose leaves never reach a sandbox."""
    daemons = []
    request.node._harness_daemons = daemons
    request.node._harness_fake = fake

    def make(models=None, sandboxes=None, max_running=8, extra=None, start=True, extra_env=None):
        # A short shutdown_grace: a test that ends with a model call hanging does not wait the
        # default 10 s for it at teardown (test_shutdown.py sets its own).
        config = {"max_running": max_running, "shutdown_grace": "2s", **(extra or {}),
                  "models": models if models is not None else default_models(fake),
                  "sandboxes": sandboxes if sandboxes is not None else default_sandboxes()}
        d = he.Daemon(tmp_path / f"daemon{len(daemons)}", config, extra_env)
        daemons.append(d)
        return d.start() if start else d

    yield make
    for d in daemons:
        d.stop()
    reports = [r for r in (d.sanitizer_report() for d in daemons) if r]
    if reports:
        pytest.fail("harnessd reported a sanitizer error:\n" + "\n\n".join(reports), pytrace=False)


@pytest.fixture
def make_daemon(daemon_factory, needs_bwrap):
    return daemon_factory


@pytest.fixture
def daemon(make_daemon):
    return make_daemon()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for i, d in enumerate(getattr(item, "_harness_daemons", [])):
        report.sections.append((f"harnessd log #{i} ({d.log_path})", d.log_tail(400)))
    fake = getattr(item, "_harness_fake", None)
    if fake is not None:
        lines = [f"{r['provider']} turn={r['turn']} status={r['status']} error={r.get('error')}"
                 for r in fake.model_requests()]
        report.sections.append(("fake model requests", "\n".join(lines[-100:]) or "(none)"))
