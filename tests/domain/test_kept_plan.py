"""A conference keeps the plan it was announced under (issue 14 item 4): the deadline engine, the quorum, the
reply deadlines and the documents of an announced conference read the offsets and quorum recorded at its
announcement; a draft follows the plan in force; holidays apply to both."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories import create_conference, create_enterprise, create_recommendation, create_registration
from webforms.domain.conferences import announce_conference
from webforms.domain.intake.quorum import quorum
from webforms.domain.routing import reply_due
from webforms.domain.tick import stages_for
from webforms.domain.workdays import calendar_for
from webforms.extensions import db
from webforms.models import ConferenceStatus

VN = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.datetime(2025, 9, 4, 8, 30, tzinfo=VN)  # Thursday; 01-02/09 are days off


def later_version(rules, **offsets):
    """The rules as a later version with other offsets and a lower quorum."""
    milestones = tuple(dataclasses.replace(m, offset=offsets.get(m.name, m.offset)) for m in rules.plan.milestones)
    plan = dataclasses.replace(rules.plan, milestones=milestones, min_enterprises=3, min_recommendations=1)
    return dataclasses.replace(rules, plan=plan, version=2)


def due_of(stages, name):
    return next(s.milestone.due for s in stages if s.milestone.name == name)


def test_an_announced_conference_keeps_its_offsets_and_quorum_a_draft_takes_the_new_ones(app_ctx, rules, calendar):
    announced = create_conference(status=ConferenceStatus.DRAFT, starts_at=D)
    draft = create_conference(status=ConferenceStatus.DRAFT, starts_at=D)
    assert announce_conference(announced, now=dt.datetime(2025, 8, 20, 9, 0, tzinfo=VN), rules=rules,
                               calendar=calendar)
    rec = create_recommendation(create_registration(announced, create_enterprise()))
    db.session.flush()
    now = dt.datetime(2025, 8, 21, 9, 0, tzinfo=VN)
    later = later_version(rules, intake_closes=-6, written_reply=12)

    # D-5 = Tue 26/08 under the plan it was announced with; D-6 = Mon 25/08 under the later one.
    assert due_of(stages_for(announced, later, calendar, now), "intake_closes") == dt.datetime(
        2025, 8, 26, 23, 59, 59, tzinfo=VN)
    assert due_of(stages_for(draft, later, calendar, now), "intake_closes") == dt.datetime(
        2025, 8, 25, 23, 59, 59, tzinfo=VN)
    assert (quorum(announced, later, calendar).min_enterprises, quorum(draft, later, calendar).min_enterprises) \
        == (rules.plan.min_enterprises, 3)
    assert reply_due(rec, later, calendar, coordinated=False) == reply_due(rec, rules, calendar, coordinated=False)

    # Holidays are law: a new day off moves the announced conference's deadlines too.
    holidays = dataclasses.replace(rules.holidays, days_off=(
        *rules.holidays.days_off,
        dataclasses.replace(rules.holidays.days_off[0], date=dt.date(2025, 8, 27), name="Nghỉ thử")))
    with_day_off = dataclasses.replace(later, holidays=holidays)
    assert due_of(stages_for(announced, with_day_off, calendar_for(holidays), now), "intake_closes") == \
        dt.datetime(2025, 8, 25, 23, 59, 59, tzinfo=VN)


def test_a_postponed_conference_is_a_draft_again_and_takes_the_plan_in_force(app_ctx, rules, calendar, settings):
    from webforms.domain.audit import SYSTEM
    from webforms.domain.conference_admin import postpone_conference

    conference = create_conference(status=ConferenceStatus.DRAFT, starts_at=D)
    announce_conference(conference, now=dt.datetime(2025, 8, 20, 9, 0, tzinfo=VN), rules=rules, calendar=calendar)
    later = later_version(rules)
    assert quorum(conference, later, calendar).min_enterprises == rules.plan.min_enterprises
    postpone_conference(conference, new_starts_at=dt.datetime(2025, 10, 9, 8, 30, tzinfo=VN), reason="Chưa đủ",
                        now=dt.datetime(2025, 8, 28, 9, 0, tzinfo=VN), actor=SYSTEM, rules=rules, settings=settings)
    assert conference.status == ConferenceStatus.DRAFT and conference.plan_terms is None
    assert quorum(conference, later, calendar).min_enterprises == 3
