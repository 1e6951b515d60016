"""Routing from the YAML table, assignment on receipt, the announcing email, signed links."""

import datetime as dt
import shutil

import pytest
from sqlalchemy import func, select

from config.rules import load_rules
from tests.factories import create_conference, create_enterprise, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.moments import D_PLUS_14, INTAKE_OPEN, local
from webforms.domain import events
from webforms.domain.links import LinkError, link_expires_at, read_link, revoke_links, sign_link
from webforms.domain.reminders import run_reminders
from webforms.domain.routing import route
from webforms.extensions import db
from webforms.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    AuditEvent,
    Department,
    RecommendationStatus,
)


@pytest.mark.parametrize(("field", "zone", "expected"), [
    ("HA_TANG", "KCN-DINHVU", "VPDD-DV"),  # field + zone
    ("HA_TANG", "KCN-VSIP", "VPDD-KCN"),  # field, owned in every zone
    ("DAU_TU", "KCN-VSIP", "QLDT"),
    ("LAO_DONG", "NGOAI", "QLLD"),
    ("XAY_DUNG", "KKT-DVCH", "QHXD"),
    ("THUE", "KCN-VSIP", "DNGSDT"),  # only an outside agency has the field: the consolidating department
    ("KHAC", "KCN-VSIP", "DNGSDT"),  # no rule: the consolidating department
])
def test_route_from_yaml(rules, field, zone, expected):
    assert route(field, zone, rules) == expected


def test_editing_the_yaml_changes_routing(rules, tmp_path):
    for path in rules.source_dir.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    text = (tmp_path / "departments.yaml").read_text(encoding="utf-8")
    old = "fields: [LAO_DONG]\n    zones: []"
    assert old in text
    text = text.replace(old, "fields: [LAO_DONG, KHAC]\n    zones: [KCN-VSIP]")
    (tmp_path / "departments.yaml").write_text(text, encoding="utf-8")
    edited = load_rules(tmp_path)
    assert route("KHAC", "KCN-VSIP", edited) == "QLLD"
    assert route("KHAC", "KCN-DINHVU", edited) == "DNGSDT"
    assert route("KHAC", "KCN-VSIP", rules) == "DNGSDT"


def received(rules, calendar, settings, *, field="DAU_TU", zone="KCN-VSIP", conference=None, now=INTAKE_OPEN):
    conference = conference or create_conference()
    registration = create_registration(conference, create_enterprise(zone_code=zone))
    rec = create_recommendation(registration, field_code=field)
    events.recommendation_received.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
    return rec


def test_receipt_creates_the_owner_assignment_with_the_written_deadline(app_ctx, rules, calendar, settings):
    rec = received(rules, calendar, settings)
    (assignment,) = rec.assignments
    assert assignment.role == AssignmentRole.OWNER
    assert assignment.department.code == "QLDT"
    assert assignment.state == AssignmentState.OPEN
    assert assignment.due_at == local(2025, 9, 15, 23, 59, 59)  # D+7 wd
    assert rec.status == RecommendationStatus.ASSIGNED
    # The signal sent twice (a retried request) does not assign twice.
    events.recommendation_received.send(rec, now=INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings)
    assert len(rec.assignments) == 1
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "recommendation.route")) is not None


def test_one_email_to_the_departments_yaml_address(app, rules, calendar, settings, mailbox):
    with app.app_context():
        rec = received(rules, calendar, settings)
        code = rec.code
        actions = run_reminders(INTAKE_OPEN, rules, calendar, settings)
        assert [a["action"] for a in actions if a["action"] != "weekly_summary"] == ["assignment_notice"]
        assert run_reminders(INTAKE_OPEN, rules, calendar, settings) == []
        db.session.commit()
    run_jobs(app)
    (message,) = mailbox.to("qldt@heza.example.vn")
    assert message.rcpt_tos == list(rules.department("QLDT").emails)
    assert message.subject.startswith(f"[{code}] Giao trả lời kiến nghị")
    assert message.message["Reply-To"] == rules.consolidating_department.emails[0]
    assert "/tra-loi/" in message.text
    assert "15/09/2025" in message.text and "24/09/2025" in message.text and "03/09/2025" in message.text


def test_many_new_items_make_one_digest_per_department(app, rules, calendar, settings, mailbox):
    with app.app_context():
        conference = create_conference()
        codes = [received(rules, calendar, settings, conference=conference).code for _ in range(3)]
        received(rules, calendar, settings, conference=conference, field="LAO_DONG")
        actions = run_reminders(INTAKE_OPEN, rules, calendar, settings)
        assert sorted(a["action"] for a in actions) == ["assignment_digest", "assignment_notice", "weekly_summary"]
        db.session.commit()
    run_jobs(app)
    assert len(mailbox.messages) == 3
    assert len(mailbox.to("qlld@heza.example.vn")) == 1
    (digest,) = mailbox.to("qldt@heza.example.vn")
    assert all(code in digest.text for code in codes)
    assert digest.text.count("/tra-loi/") == 3


def test_out_of_scope_is_not_assigned_and_screening_out_closes(app_ctx, rules, calendar, settings):
    rec = received(rules, calendar, settings)
    token = sign_link(rec.assignments[0], settings.secret_key)
    rec.status = RecommendationStatus.SCREENED_OUT
    events.recommendation_screened_out.send(rec, now=INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings)
    assert rec.assignments[0].state == AssignmentState.REVOKED
    with pytest.raises(LinkError) as caught:
        read_link(token, secret_key=settings.secret_key, now=INTAKE_OPEN, rules=rules, calendar=calendar)
    assert caught.value.reason == "revoked"


def test_links(app_ctx, rules, calendar, settings):
    rec = received(rules, calendar, settings)
    assignment = rec.assignments[0]
    token = sign_link(assignment, settings.secret_key)
    assert read_link(token, secret_key=settings.secret_key, now=INTAKE_OPEN, rules=rules,
                     calendar=calendar) is assignment
    # Still valid while overdue, up to the coordinated deadline + link_grace_days working days.
    expires = link_expires_at(assignment, rules, calendar)
    assert expires == local(2025, 11, 5, 23, 59, 59)
    assert read_link(token, secret_key=settings.secret_key, now=D_PLUS_14, rules=rules, calendar=calendar)
    with pytest.raises(LinkError) as caught:
        read_link(token, secret_key=settings.secret_key, now=expires + dt.timedelta(seconds=1), rules=rules,
                  calendar=calendar)
    assert caught.value.reason == "expired"
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "abc", token + "x",
                sign_link(assignment, "another-secret-key")):
        with pytest.raises(LinkError) as caught:
            read_link(bad, secret_key=settings.secret_key, now=INTAKE_OPEN, rules=rules, calendar=calendar)
        assert caught.value.reason == "invalid"
    revoke_links(assignment)
    with pytest.raises(LinkError) as caught:
        read_link(token, secret_key=settings.secret_key, now=INTAKE_OPEN, rules=rules, calendar=calendar)
    assert caught.value.reason == "revoked"
    assert db.session.get(Assignment, assignment.id).token_version == 2


def test_first_requests_on_an_empty_database_share_one_department_sync(app, app_ctx, rules):
    """Two submissions routed at once on a fresh database both find the departments missing: the second
    one's sync meets the first one's rows (waiting for its commit) and uses them, instead of a 500."""
    import threading

    from webforms.domain.departments import sync_departments
    from webforms.domain.routing import department_row

    sync_departments(rules)  # this transaction stays open: its rows are not visible to others yet
    found, errors = {}, []

    started = threading.Event()

    def second_request():
        with app.app_context():
            started.set()
            try:
                found["code"] = department_row("QLLD", rules).code
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(repr(exc))

    thread = threading.Thread(target=second_request)
    thread.start()
    assert started.wait(timeout=30)
    thread.join(timeout=1)
    assert thread.is_alive(), "the second request did not wait for the first one's rows: no race was tested"
    db.session.commit()
    thread.join(timeout=30)
    assert errors == []
    assert found == {"code": "QLLD"}
    assert db.session.scalar(select(func.count(Department.id))) == len(rules.departments)
