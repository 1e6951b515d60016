"""Two ticks on the same `now` at the same instant, each in its own thread, session and connection:
every stage is claimed by exactly one of them (the MilestoneRun insert decides)."""

import threading

from sqlalchemy import func, select

from tests import moments
from tests.factories import create_conference, create_recommendation, create_registration
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import ConferenceStatus, MilestoneRun, OutboxMessage


def test_simultaneous_ticks_act_once(app, settings):
    with app.app_context():
        for n in range(3):
            conference = create_conference(slug=f"hn-{n}", status=ConferenceStatus.DRAFT)
            for i in range(15):
                registration = create_registration(conference)
                if i < 5:
                    create_recommendation(registration)
        db.session.commit()
    svc = app.extensions["doithoai"]
    results, errors = [[], []], []

    def race(now):
        barrier = threading.Barrier(2)

        def run(index):
            try:
                with app.app_context():
                    barrier.wait(timeout=30)
                    results[index] += tick(now, svc.rules, svc.calendar, settings, None)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    race(moments.D_MINUS_10)  # the drafts: one announce_by reminder each
    with app.app_context():  # announced on time, so their intake closes with a quorum check
        from webforms.domain.conferences import announce_conference
        from webforms.models import Conference

        for conference in db.session.scalars(select(Conference)):
            announce_conference(conference, now=moments.D_MINUS_10, rules=svc.rules, calendar=svc.calendar)
        db.session.commit()
    race(moments.INTAKE_CLOSED)
    assert errors == []
    acted = sorted((a["conference"], a["milestone"], a["action"]) for r in results for a in r)
    assert acted == sorted(
        [(f"hn-{n}", "announce_by", "alert_office") for n in range(3)]
        + [(f"hn-{n}", "intake_closes", "confirmed") for n in range(3)])
    with app.app_context():
        assert db.session.scalar(select(func.count(MilestoneRun.id))) == 6
        # one alert each, and per confirmed conference one invitation batch and one table render
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 3 + 3 * 2
