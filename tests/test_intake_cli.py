"""`doithoai conference announce SLUG` and `doithoai intake quorum SLUG`."""

import json

from sqlalchemy import select

from tests.factories import create_conference
from webforms.extensions import db
from webforms.models import AuditEvent, Conference, ConferenceStatus


def test_announce_opens_intake_once(app, app_ctx):
    import datetime as dt

    from webforms.timeutil import utcnow

    # Far enough ahead that the plan's notice (announce_by, D−7 working days) can still be met.
    create_conference(slug="hn-cli", status=ConferenceStatus.DRAFT, starts_at=utcnow() + dt.timedelta(days=60))
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["conference", "announce", "hn-cli"], catch_exceptions=False)
    assert first.exit_code == 0
    assert "hn-cli announced" in first.output
    db.session.expire_all()
    conference = db.session.scalar(select(Conference).where(Conference.slug == "hn-cli"))
    assert conference.status == ConferenceStatus.ANNOUNCED
    assert conference.announced_at is not None
    assert db.session.scalar(select(AuditEvent.action)) == "conference.announce"
    second = runner.invoke(args=["conference", "announce", "hn-cli"], catch_exceptions=False)
    assert second.exit_code == 0
    assert "unchanged (announced)" in second.output
    missing = runner.invoke(args=["conference", "announce", "khong-co"])
    assert missing.exit_code == 1
    assert "no conference" in missing.output


def test_quorum_prints_one_json_line(app, app_ctx, rules):
    create_conference(slug="hn-quorum")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["intake", "quorum", "hn-quorum"], catch_exceptions=False)
    body = json.loads(result.output.strip())
    assert body["enterprises"] == 0
    assert body["met"] is False
    assert body["min_enterprises"] == rules.plan.min_enterprises
