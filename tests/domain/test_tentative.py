"""Dates computed through a year whose days off are not confirmed read "dự kiến" wherever they are shown:
the engine's emails, the documents' deadlines, the department's page helpers (issue #12 item 8)."""

import datetime as dt

from sqlalchemy import select

from tests.factories import create_conference
from webforms.domain.documents.context.letters import announcement_context
from webforms.domain.plan import milestones_for
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.formatting import tentative
from webforms.models import ConferenceStatus, OutboxMessage

VN = dt.timezone(dt.timedelta(hours=7))


def test_the_filter_reads_the_computation(app_ctx, rules, calendar):
    confirmed = milestones_for(dt.datetime(2026, 9, 3, 8, 30, tzinfo=VN), rules.plan, calendar)
    assert {tentative(m) for m in confirmed} == {""}
    crossing = {m.name: tentative(m) for m in milestones_for(dt.datetime(2026, 12, 16, 8, 30, tzinfo=VN),
                                                               rules.plan, calendar)}
    assert crossing["coordinated_reply"] == " (dự kiến)" and crossing["written_reply"] == ""
    assert tentative(dt.datetime(2027, 1, 6, 16, 59, tzinfo=dt.UTC)) == " (dự kiến)"
    assert tentative(dt.date(2026, 1, 6)) == ""


def test_engine_emails_and_documents_mark_projected_deadlines(app_ctx, rules, settings):
    conference = create_conference(slug="hn-2027", status=ConferenceStatus.DRAFT,
                                   starts_at=dt.datetime(2027, 3, 4, 8, 30, tzinfo=VN))
    db.session.commit()
    tick(dt.datetime(2027, 2, 19, 9, tzinfo=VN), rules, app_ctx.extensions["doithoai"].calendar, settings)
    (mail,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
    assert "(dự kiến)" in mail.payload["text"]
    context = announcement_context(conference, rules, dt.datetime(2027, 2, 19, tzinfo=VN))
    assert context["conference"]["intake_deadline"].endswith("(dự kiến)")
