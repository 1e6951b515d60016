"""tick(now) against the reference conference (04/09/2025): each stage acts once, at the right time."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests import moments
from tests.factories import create_conference, create_recommendation, create_registration
from webforms.domain.intake.quorum import quorum
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import ConferenceStatus, MilestoneRun, OutboxMessage, Registration, Scope


@pytest.fixture
def run(app_ctx, rules, calendar, settings):
    redis = app_ctx.extensions["doithoai"].redis

    def at(now):
        return tick(now, rules, calendar, settings, redis)

    return at


def runs() -> list[str]:
    return sorted(db.session.scalars(select(MilestoneRun.milestone)))


def outbox_count() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_nothing_due_before_the_reminder_lead(run):
    create_conference(status=ConferenceStatus.DRAFT, slug="hn")
    db.session.commit()
    assert run(moments.local(2025, 8, 19, 23, 59, 59)) == []
    assert runs() == []
    assert outbox_count() == 0


def test_announce_reminders_lead_then_day_each_once(run, rules):
    create_conference(status=ConferenceStatus.DRAFT, slug="hn")
    db.session.commit()
    lead = run(moments.D_MINUS_10)  # 20/08 is reminder_lead working days before 22/08
    assert [(a["conference"], a["milestone"], a["action"], a["stage"]) for a in lead] == [
        ("hn", "announce_by", "alert_office", "lead")]
    assert lead[0]["to"] == list(rules.department("VP").emails)
    assert run(moments.D_MINUS_10) == []
    assert run(moments.local(2025, 8, 21, 15)) == []
    day = run(moments.local(2025, 8, 22, 8))
    assert [(a["action"], a["stage"]) for a in day] == [("alert_office", "due")]
    assert run(moments.ANNOUNCE_DUE) == []
    assert runs() == ["announce_by:due", "announce_by:lead"]
    assert outbox_count() == 2


def test_a_late_first_tick_sends_only_the_current_reminder(run):
    create_conference(status=ConferenceStatus.DRAFT, slug="hn")
    db.session.commit()
    actions = run(moments.local(2025, 8, 22, 10))
    assert [a.get("stage") for a in actions] == ["due"]


def test_announced_conference_gets_no_alert(run):
    create_conference(status=ConferenceStatus.ANNOUNCED, slug="hn")
    db.session.commit()
    assert run(moments.D_MINUS_10) == []
    assert runs() == []


def test_naive_now_is_refused(app_ctx, rules, calendar, settings):
    with pytest.raises(ValueError, match="timezone-aware"):
        tick(dt.datetime(2025, 8, 20, 9), rules, calendar, settings)  # noqa: DTZ001 - the point of the test


def _registrations(conference, n, recommendations, *, late_extra=0):
    regs = [create_registration(conference) for _ in range(n)]
    for reg in regs[:recommendations]:
        create_recommendation(reg)
    for _ in range(late_extra):
        late = create_registration(conference, registered_at=moments.INTAKE_CLOSED, late=True)
        create_recommendation(late, received_at=moments.INTAKE_CLOSED, late=True)
    return regs


def test_quorum_counts_only_what_arrived_in_time_and_in_scope(app_ctx, rules, calendar):
    conference = create_conference(slug="hn")
    regs = _registrations(conference, 15, 4, late_extra=2)
    create_recommendation(regs[5], scope=Scope.OUT_OF_SCOPE)
    db.session.commit()
    counted = quorum(conference, rules, calendar)
    assert counted.closes_at == moments.INTAKE_LAST_SECOND
    assert (counted.enterprises, counted.recommendations, counted.met) == (15, 4, False)
    create_recommendation(regs[6], scope=Scope.PENDING)  # not screened yet: counts until screened out
    assert quorum(conference, rules, calendar).met


def test_intake_closes_after_its_last_second(run):
    conference = create_conference(slug="hn")
    _registrations(conference, 15, 5)
    db.session.commit()
    assert run(moments.INTAKE_LAST_SECOND) == []
    assert conference.status == ConferenceStatus.ANNOUNCED
    actions = run(moments.INTAKE_CLOSED)
    assert [(a["milestone"], a["action"]) for a in actions] == [("intake_closes", "confirmed")]
    assert actions[0]["quorum"]["met"] is True
    db.session.refresh(conference)
    assert conference.status == ConferenceStatus.CONFIRMED
    tasks = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "task")).all()
    assert sorted(t.payload["task"] for t in tasks) == ["render_document", "send_invitations"]
    assert run(moments.INTAKE_CLOSED) == []
    run_row = db.session.scalar(select(MilestoneRun).where(MilestoneRun.milestone == "intake_closes"))
    assert run_row.action == "confirmed"
    assert run_row.details["quorum"]["enterprises"] == 15


def test_intake_without_quorum_proposes_postponement(run):
    conference = create_conference(slug="hn")
    _registrations(conference, 14, 5)
    db.session.commit()
    actions = run(moments.INTAKE_CLOSED)
    assert [a["action"] for a in actions] == ["postponement_proposed"]
    db.session.refresh(conference)
    assert conference.status == ConferenceStatus.POSTPONEMENT_PROPOSED
    assert "14/15" in conference.status_reason
    # a conference that does not go ahead gets no later milestone actions
    assert run(moments.D_PLUS_15) == []


def test_late_registration_does_not_count(run):
    conference = create_conference(slug="hn")
    regs = _registrations(conference, 15, 5)
    regs[0].late = True
    db.session.commit()
    assert [a["action"] for a in run(moments.INTAKE_CLOSED)] == ["postponement_proposed"]
    assert db.session.scalar(select(func.count(Registration.id))) == 15
