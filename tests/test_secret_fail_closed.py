"""Security F6 (issue 16 item 6): without SECRET_KEY only an explicit development mode may start.

A deployment that sets the production services but forgets DOITHOAI_ENV and SECRET_KEY used to run
on the published development key; now every process refuses with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.settings import DEV_SECRET_KEY, SettingsError, load_settings
from config.startup import REFUSAL

pytestmark = pytest.mark.security

BIN = Path(sys.executable).parent
SAYS = ("environment: SECRET_KEY is not set: set it to 32 or more random characters "
        "(or DOITHOAI_ENV=development on a development machine)")
# The production services of the reviewer's reproduction, without DOITHOAI_ENV and SECRET_KEY.
FORGETFUL = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/doithoai", "REDIS_URL": "redis://127.0.0.1:6379/6",
             "MAIL_SERVER": "smtp.example.vn", "PUBLIC_BASE_URL": "https://doithoai.example.vn"}


def test_no_secret_and_no_explicit_development_is_refused():
    with pytest.raises(SettingsError) as caught:
        load_settings(FORGETFUL)
    assert str(caught.value) == SAYS
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings({})
    with pytest.raises(SettingsError, match="SECRET_KEY is not set"):
        load_settings({**FORGETFUL, "DOITHOAI_ENV": "production"})


def test_explicit_development_or_testing_may_use_the_development_key():
    assert load_settings({"DOITHOAI_ENV": "development"}).secret_key == DEV_SECRET_KEY
    assert load_settings({"DOITHOAI_ENV": "testing"}).secret_key == DEV_SECRET_KEY
    assert load_settings({**FORGETFUL, "SECRET_KEY": "s" * 40}).secret_key == "s" * 40


def test_make_run_sets_the_development_mode():
    makefile = Path("Makefile").read_text(encoding="utf-8")
    assert "$(BIN)/python -m webforms.dev.supervisor" in makefile
    supervisor = Path("webforms/dev/supervisor.py").read_text(encoding="utf-8")
    assert 'os.environ.setdefault("DOITHOAI_ENV", "development")' in supervisor


@pytest.mark.parametrize("command", [
    ["doithoai", "worker", "--burst"],
    ["rq", "cron", "workers.cron", "--url", "redis://127.0.0.1:6379/6"],
    [sys.executable, "-c", "from webforms.app import create_app; create_app()"],
], ids=["doithoai", "cron", "web-factory"])
def test_every_process_refuses_with_one_line(command):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DOITHOAI_ENV")}
    env.update(FORGETFUL)
    if command[0] in ("doithoai", "rq"):
        command = [str(BIN / command[0]), *command[1:]]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60, env=env)  # noqa: S603
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    if command[0] == sys.executable:  # gunicorn's factory: the exception, ending with the one line
        assert lines[-1] == f"config.settings.SettingsError: {SAYS}"
    else:
        assert lines == [REFUSAL, SAYS]
