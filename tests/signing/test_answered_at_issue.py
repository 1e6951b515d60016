"""An answer in writing is given when its reply letter is issued, not when the draft is approved: the
plan's 7 and 14 working-day deadlines are met by the issue date (Decree 30/2020 arts. 10-16, 26)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.approval_helpers import submitted_answer
from tests.factories import create_conference
from tests.signing_helpers import issue_approved_letter
from webforms.domain import replies
from webforms.domain.audit import Actor
from webforms.domain.documents.context import results_report_context
from webforms.extensions import db
from webforms.models import Assignment, Recommendation, RecommendationStatus
from webforms.timeutil import utcnow

LEADER = Actor(kind="user", name="pho.truong.ban@heza.example.vn", ip="127.0.0.1")


def _rec(code: str) -> Recommendation:
    return db.session.scalar(select(Recommendation).where(Recommendation.code == code))


def _approve(assignment_id: int, now, rules, calendar, settings) -> None:
    assert replies.approve_answer(db.session.get(Assignment, assignment_id), actor=LEADER, now=now, rules=rules,
                                  calendar=calendar, settings=settings)
    db.session.commit()


def _figures(conference_id: int, rules, now) -> dict:
    from webforms.models import Conference

    metrics = results_report_context(db.session.get(Conference, conference_id), rules, now)["metrics"]
    return {key: metrics[key] for key in ("answered_in_writing_on_time", "overdue", "pending")}


def test_approved_on_the_last_day_and_issued_the_next_is_late(
    app, client, rules, calendar, settings, signing_setup, signed_pdf
):
    with app.app_context():
        conference = create_conference(starts_at=utcnow() + dt.timedelta(days=21), slug="dung-han-khi-ban-hanh")
        db.session.commit()
    late = submitted_answer(app, rules, calendar, settings, conference=conference,
                            contact_email="tre@congty.example.vn")
    on_time = submitted_answer(app, rules, calendar, settings, conference=conference,
                               contact_email="dung@congty.example.vn")
    with app.app_context():
        due = db.session.get(Assignment, late["assignment_id"]).due_at
        assert db.session.get(Assignment, on_time["assignment_id"]).due_at == due
        last_day = due - dt.timedelta(hours=2)  # the deadline's day, before its end
        next_day = calendar.add_working_days(due.astimezone(rules.plan.timezone).date(), 1)
        issued_late = dt.datetime.combine(next_day, dt.time(9), tzinfo=rules.plan.timezone)
        for item in (late, on_time):
            _approve(item["assignment_id"], last_day, rules, calendar, settings)
        # Approved is not answered: the status and the date wait for the issue.
        rec = _rec(late["code"])
        assert (rec.status, rec.answered_at) == (RecommendationStatus.ASSIGNED, None)
        assert _figures(late["conference_id"], rules, last_day) == {
            "answered_in_writing_on_time": "0", "overdue": "0", "pending": "2"}
        # The deadline passes with both letters approved and none issued: both are late, none on time.
        assert _figures(late["conference_id"], rules, due + dt.timedelta(hours=1)) == {
            "answered_in_writing_on_time": "0", "overdue": "2", "pending": "0"}

        # Nor can the conference record an answer over a letter approved and waiting for its issue.
        from webforms.domain.recommendation_admin import record_conference_answer

        assert record_conference_answer(rec, answered_by="Phó Trưởng ban", answer="Trả lời tại Hội nghị.",
                                        now=due, actor=LEADER, rules=rules, calendar=calendar,
                                        settings=settings) is False
        assert _rec(late["code"]).status == RecommendationStatus.ASSIGNED

        issue_approved_letter(on_time["code"], signing_setup, last_day + dt.timedelta(hours=1), signed_pdf=signed_pdf)
        issue_approved_letter(late["code"], signing_setup, issued_late, signed_pdf=signed_pdf)
        rec = _rec(late["code"])
        assert rec.status == RecommendationStatus.ANSWERED_IN_WRITING
        assert rec.answered_at == issued_late
        assert _rec(on_time["code"]).answered_at == last_day + dt.timedelta(hours=1)
        assert _figures(late["conference_id"], rules, issued_late + dt.timedelta(days=1)) == {
            "answered_in_writing_on_time": "1", "overdue": "1", "pending": "0"}

    # The public API reports the issue time as the answer's time.
    answers = client.get("/api/v1/conferences/dung-han-khi-ban-hanh/answers").get_json()
    by_code = {a["code"]: a for a in answers["answers"]}
    assert dt.datetime.fromisoformat(by_code[late["code"]]["answered_at"]) == issued_late
