"""The CLI contract: names and outputs other parts and the ops runbook rely on."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args):
        return runner.invoke(args=list(args), catch_exceptions=False)

    invoke.app = app
    return invoke


def last_line(result) -> str:
    return result.output.strip().splitlines()[-1]


def test_calendar_add_prints_the_date_last(cli):
    result = cli("calendar", "add", "2025-09-04", "-5")
    assert result.exit_code == 0
    assert last_line(result) == "2025-08-26"


def test_calendar_between_and_check(cli):
    assert last_line(cli("calendar", "between", "2025-09-04", "2025-09-15")) == "7"
    assert last_line(cli("calendar", "check", "2025-04-26")) == "2025-04-26 working day"
    assert last_line(cli("calendar", "check", "2025-05-02")).startswith("2025-05-02 day off: ")


def test_bad_date_exits_non_zero_with_one_line(cli):
    result = cli("calendar", "check", "04/09/2025")
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output


def test_conference_create_and_milestones(cli):
    created = cli("conference", "create", "--title", "Hội nghị đối thoại doanh nghiệp năm 2025",
                  "--date", "2025-09-04", "--time", "08:30", "--venue", "Trụ sở Ban Quản lý", "--slug", "dtdn-2025")
    assert created.exit_code == 0, created.output
    assert last_line(created) == "dtdn-2025"
    result = cli("conference", "milestones", "dtdn-2025", "--json")
    milestones = {m["name"]: m for m in json.loads(result.output)}
    assert milestones["announce_by"]["due"].startswith("2025-08-22")
    assert milestones["intake_closes"]["due"] == "2025-08-26T23:59:59+07:00"
    assert milestones["written_reply"]["due"].startswith("2025-09-15")
    assert milestones["coordinated_reply"]["due"].startswith("2025-09-24")
    assert all({"name", "due", "owner"} <= set(m) for m in milestones.values())
    table = cli("conference", "milestones", "dtdn-2025")
    assert "intake_closes" in table.output and "2025-08-26T23:59:59+07:00" in table.output


def test_duplicate_slug_is_refused(cli):
    args = ("conference", "create", "--title", "A", "--date", "2025-09-04", "--venue", "B", "--slug", "same")
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code != 0
    assert "already exists" in again.output


def test_unknown_conference(cli):
    result = cli("conference", "milestones", "nope")
    assert result.exit_code != 0
    assert "no conference" in result.output


def test_seed_demo_is_idempotent(cli):
    first = cli("seed-demo")
    second = cli("seed-demo")
    assert last_line(first).startswith("created ")
    assert last_line(second).startswith("exists ")
    assert "back office: admin@heza.example.vn / " in first.output  # the first staff account, shown once
    assert "back office:" not in second.output


def test_tick_accepts_now_and_rejects_garbage(cli):
    assert cli("tick", "--now", "2025-09-01T10:00:00+07:00").exit_code == 0
    bad = cli("tick", "--now", "yesterday")
    assert bad.exit_code != 0


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "doithoai"
    env = dict(os.environ, DOITHOAI_ENV="development")  # without SECRET_KEY only development may start
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0
    for command in ("calendar", "conference", "seed-demo", "tick", "worker", "db"):
        assert command in result.stdout


def test_calendar_marks_projected_years(cli):
    tet = "day off: Nghỉ Tết Nguyên đán (28 tháng Chạp)"
    assert last_line(cli("calendar", "check", "2027-02-04")) == f"2027-02-04 {tet} (dự kiến)"
    assert last_line(cli("calendar", "check", "2025-01-27")) == f"2025-01-27 {tet}"
    assert last_line(cli("calendar", "check", "2027-03-01")) == "2027-03-01 working day (dự kiến)"
    assert last_line(cli("calendar", "add", "2026-12-16", "14")) == "2027-01-06 (dự kiến)"
    assert last_line(cli("calendar", "add", "2026-09-03", "-7")) == "2026-08-21"


def test_milestones_of_a_window_crossing_an_unconfirmed_year_are_projections(cli):
    created = cli("conference", "create", "--title", "Hội nghị cuối năm", "--date", "2026-12-16", "--venue", "Trụ sở",
                  "--slug", "hn-cuoi-nam")
    assert created.exit_code == 0
    assert "warning:" in created.output and "2027" in created.output  # stderr is mixed in by the runner
    milestones = {m["name"]: m for m in json.loads(cli("conference", "milestones", "hn-cuoi-nam", "--json").output)}
    assert milestones["coordinated_reply"]["tentative"] is True
    assert milestones["written_reply"]["tentative"] is False
    table = cli("conference", "milestones", "hn-cuoi-nam").output.splitlines()
    assert [line for line in table if line.startswith("coordinated_reply")][0].endswith("(dự kiến)")
    assert not [line for line in table if line.startswith("written_reply")][0].endswith("(dự kiến)")
    status = json.loads(cli("conference", "status", "hn-cuoi-nam", "--json").output)
    assert status["unconfirmed_years"] == [2027]
    from sqlalchemy import select

    from webforms.extensions import db
    from webforms.models import OutboxMessage

    with cli.app.app_context():
        (warning,) = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("unconfirmed-calendar:%"))).all()
        assert "dự kiến" in warning.payload["subject"]
        assert "Hạn trả lời kiến nghị cần phối hợp: 06/01/2027 (dự kiến)" in warning.payload["text"]
