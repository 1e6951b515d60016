"""Operations: `doithoai health`, `doithoai conference status`, tick from the CLI, job progress."""

import datetime as dt
import json
import logging

from sqlalchemy import select

from tests import moments
from tests.factories import create_conference, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.smtp import free_port
from webforms.extensions import db
from webforms.models import ConferenceStatus, Document, Invitee, InviteeCategory, OutboxMessage, OutboxStatus
from webforms.timeutil import utcnow
from workers.progress import outbox_task_progress


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_health_reports_every_part_and_passes(app, mailbox):
    result = invoke(app, "health")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for expected in ("database   ok", "redis      ok", "smtp       ok", "queue      mail=0 failed=0",
                     "outbox     oldest_pending=none failed_rows=0"):
        assert expected in lines
    assert lines[-1] == "healthy"
    data = json.loads(invoke(app, "health", "--json").output)
    assert data["healthy"] is True
    assert data["queues"] == {"mail": 0, "docs": 0, "default": 0}


def test_health_fails_when_smtp_is_down(settings):
    from webforms.app import create_app

    broken = create_app(settings.with_(mail_port=free_port()))
    result = invoke(broken, "health")
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == "unhealthy"
    assert any(line.startswith("problem    smtp: ") for line in result.output.splitlines())


def test_health_fails_on_a_stuck_outbox_row(app, mailbox):
    with app.app_context():
        db.session.add(OutboxMessage(kind="mail", queue="mail", payload={}, status=OutboxStatus.PENDING,
                                     created_at=utcnow() - dt.timedelta(hours=2)))
        db.session.commit()
    result = invoke(app, "health", "--max-pending-age", "600")
    assert result.exit_code == 1
    assert "problem    outbox: a row has been pending for 7200 s (more than 600 s)" in result.output
    assert invoke(app, "health", "--max-pending-age", "8000").exit_code == 0


def _confirmed_conference(enterprises=15):
    conference = create_conference(slug="dtdn-2025", status=ConferenceStatus.ANNOUNCED)
    db.session.add(Invitee(conference_id=conference.id, category=InviteeCategory.PRESS, name="Báo Hải Phòng",
                           email="baohp@press.example.vn"))
    for i in range(enterprises):
        registration = create_registration(conference)
        if i < 5:
            create_recommendation(registration)
    db.session.commit()
    return conference


def test_tick_cli_prints_one_json_line_per_action_then_nothing(app, mailbox, caplog):
    caplog.set_level(logging.INFO, logger="doithoai.tick")
    with app.app_context():
        _confirmed_conference()
    first = invoke(app, "tick", "--now", "2025-08-27T00:00:00+07:00")
    lines = [json.loads(line) for line in first.output.splitlines()]
    assert [(a["conference"], a["milestone"], a["action"]) for a in lines] == [
        ("dtdn-2025", "intake_closes", "confirmed")]
    assert "tick conference=dtdn-2025 milestone=intake_closes action=confirmed" in caplog.text
    again = invoke(app, "tick", "--now", "2025-08-27T00:00:00+07:00")
    assert again.exit_code == 0
    assert again.output == ""
    status = invoke(app, "conference", "status", "dtdn-2025")
    assert "status         confirmed" in status.output
    assert "intake_closes=confirmed" in status.output
    data = json.loads(invoke(app, "conference", "status", "dtdn-2025", "--json").output)
    assert data["status"] == "confirmed"
    assert data["registrations"] == 15
    runs = {m["name"]: m["runs"] for m in data["milestones"]}
    assert runs["intake_closes"][0]["as_of"] == "2025-08-27T00:00:00+07:00"
    assert invoke(app, "conference", "status", "nope").exit_code == 1


def test_invitation_batch_reports_its_progress(app, settings, mailbox, rules, calendar):
    from webforms.domain.tick import tick

    with app.app_context():
        _confirmed_conference(enterprises=30)
        tick(moments.INTAKE_CLOSED, rules, calendar, settings, app.extensions["doithoai"].redis)
        row_id = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.payload["task"].as_string() == "send_invitations"))
        redis = app.extensions["doithoai"].redis
        assert outbox_task_progress(row_id, redis)["done"] == 0
    run_jobs(app)
    with app.app_context():
        progress = outbox_task_progress(row_id, redis)
    assert progress == {"done": 31, "total": 31, "percent": 100, "status": "finished"}
    with app.app_context():
        assert db.session.query(Document).filter(Document.kind == "invitation").count() == 31
    (request,) = [m for m in mailbox.messages if m.subject.startswith("Giấy mời dự thảo")]
    assert "đã lập 31 giấy mời dự thảo" in request.text


