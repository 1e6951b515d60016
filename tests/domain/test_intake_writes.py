"""What a new registration writes, statement by statement (issue 18: intake against the rows it writes): its
recommendation is one INSERT already carrying the status routing gave it (with several, those routed after
the first flush are still updated), and an enterprise this very transaction created is not searched for
registrations (none can exist). Counted on the engine, as the other
query-count tests do; the rows themselves are checked after the commit."""

import pytest
from sqlalchemy import event, select

from tests import moments
from tests.factories import create_conference
from tests.intake_helpers import registration_payload
from webforms.domain.intake.submit import submit_registration
from webforms.extensions import db
from webforms.models import Assignment, AuditEvent, Enterprise, OutboxMessage, Recommendation, RecommendationStatus


@pytest.fixture
def statements(app_ctx):
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", on_execute)
    yield seen
    event.remove(db.engine, "before_cursor_execute", on_execute)


def _submit(data, conference, rules, calendar, settings):
    return submit_registration(data, conference=conference, now=moments.INTAKE_OPEN, rules=rules,
                               calendar=calendar, settings=settings)


def test_a_new_enterprise_registration_inserts_each_row_once(app_ctx, rules, calendar, settings, statements):
    conference = create_conference(starts_at=moments.CONFERENCE_START)
    db.session.commit()
    statements.clear()
    result = _submit(registration_payload(recommendations=1), conference, rules, calendar, settings)
    db.session.commit()
    written = list(statements)

    recommendation_writes = [s for s in written if s.startswith(("INSERT INTO recommendations",
                                                                 "UPDATE recommendations"))]
    assert len(recommendation_writes) == 1
    assert recommendation_writes[0].startswith("INSERT")
    assert not [s for s in written if s.startswith("SELECT") and "FROM registrations" in s
                and "registrations.enterprise_id = " in s]
    assert not [s for s in written if s.startswith("UPDATE enterprises")]
    assert len([s for s in written if s.startswith("INSERT INTO assignments")]) == 1
    assert len([s for s in written if s.startswith("INSERT INTO outbox_messages")]) == 1

    code = result.registration.tracking_code
    recommendations = db.session.scalars(select(Recommendation).where(Recommendation.code.like(code + "-%"))).all()
    assert [r.status for r in recommendations] == [RecommendationStatus.ASSIGNED]
    assert db.session.scalar(select(Assignment).where(Assignment.recommendation_id == recommendations[0].id))
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"receipt:{code}"))
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["registration.create", "recommendation.route"]


def test_a_known_enterprise_is_still_looked_up(app_ctx, rules, calendar, settings, statements):
    """The shortcut is only for an enterprise created by the same transaction: a second conference's
    registration of a known tax code still finds the enterprise and asks whether it registered before."""
    first = create_conference(starts_at=moments.CONFERENCE_START, slug="hn-mot")
    second = create_conference(starts_at=moments.CONFERENCE_START, slug="hn-hai")
    data = registration_payload(recommendations=1)
    _submit(data, first, rules, calendar, settings)
    db.session.commit()
    statements.clear()
    again = registration_payload(recommendations=1, tax_code=data["enterprise"]["tax_code"])
    result = _submit(again, second, rules, calendar, settings)
    db.session.commit()
    assert result.created
    assert [s for s in statements if s.startswith("SELECT") and "registrations.enterprise_id = " in s]
    assert db.session.scalar(select(Enterprise.name).where(Enterprise.tax_code == data["enterprise"]["tax_code"])) \
        == data["enterprise"]["name"]


def test_an_audit_event_is_written_at_once_and_goes_with_the_transaction(app_ctx, statements):
    """`audit.record` inserts its row with Core when called (no ORM object for the flush to carry, and no
    autoflush of what the caller has not flushed yet); the row commits or rolls back with the caller's writes."""
    from webforms.domain.audit import SYSTEM, record

    conference = create_conference(starts_at=moments.CONFERENCE_START)
    conference.venue = "Hội trường B"  # not flushed yet
    statements.clear()
    record(SYSTEM, "test.kept", "conference", "a", now=moments.INTAKE_OPEN, n=1)
    assert [s.split(" (")[0] for s in statements] == ["INSERT INTO audit_events"]
    assert conference in db.session.dirty  # not flushed by the audit row
    db.session.commit()
    record(SYSTEM, "test.undone", "conference", "b", now=moments.INTAKE_OPEN)
    db.session.rollback()
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.details)).all()
    assert [(r.action, r.details) for r in rows] == [("test.kept", {"n": 1})]
