"""Item 11: each kind of personal data is kept for its period (config/security.yaml `retention`), then the
daily anonymisation run by tick removes it — from the registrations, the e-mails already sent and the audit
events — while recommendations and the audit's events themselves stay. Erasing on request does the same at
once."""

import datetime as dt
import json

import pytest
from sqlalchemy import event, func, select

from tests.factories import valid_tax_code
from tests.intake_helpers import registration_payload
from tests.jobs import run_jobs
from tests.web.test_intake import open_conference
from webforms.domain import outbox, privacy
from webforms.domain.mail import sender_domain
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import (
    AuditEvent,
    Invitee,
    InviteeCategory,
    OutboxMessage,
    OutboxStatus,
    Recommendation,
    Registration,
)
from webforms.services import services

pytestmark = pytest.mark.security

BROWSER = "Mozilla/5.0 (Riêng tư) Test"


def _register(client, app, conference, tax_code, email, name):
    payload = registration_payload(tax_code=tax_code, **{"contact.email": email, "contact.name": name})
    response = client.post(f"/api/v1/conferences/{conference.slug}/registrations", json=payload,
                           headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert response.status_code == 202, response.get_json()
    db.session.rollback()
    run_jobs(app)  # the receipt goes out through the SMTP server: the outbox row is sent
    return db.session.scalar(select(Registration).where(Registration.contact_email == email))


def _receipt(registration):
    return db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.dedupe_key == f"receipt:{registration.tracking_code}"))


def _days_after(conference, days):
    return conference.starts_at + dt.timedelta(days=days, hours=1)


def _row_text(row) -> str:
    return json.dumps({"payload": row.payload, "key": row.dedupe_key, "error": row.last_error}, ensure_ascii=False)


def test_the_periods_are_rules_and_checked(rules):
    policy = privacy.retention_policy(rules)
    assert (policy.contacts_days, policy.attendees_days, policy.mail_days) == (730, 365, 365)
    from pydantic import ValidationError

    from config.schema import RetentionModel
    with pytest.raises(ValidationError):
        RetentionModel(contacts_days=0)
    with pytest.raises(ValidationError):
        RetentionModel(mail_day=30)  # a misspelt kind is refused, not ignored


def test_tick_anonymises_attendees_then_contacts_of_a_past_conference_once_a_day(app, client, app_ctx, rules,
                                                                                  calendar, settings):
    conference = open_conference(rules, calendar)
    registration = _register(client, app, conference, valid_tax_code(6161), "rieng.tu@congty.example",
                             "Phạm Thị Riêng")
    code = registration.tracking_code
    assert _receipt(registration).status == OutboxStatus.SENT
    policy = privacy.retention_policy(rules)

    # the day before the attendees' period ends: only the receipt, written over a year ago, loses its
    # addresses and body (the mail period); the registration keeps its people
    assert privacy.apply_retention(_days_after(conference, policy.attendees_days - 1), rules) == {
        "contacts": 0, "attendees": 0, "invitees": 0, "resubmissions": 0, "mail": 1}
    db.session.commit()
    assert db.session.get(Registration, registration.id).attendees
    receipt = _receipt(registration)
    assert receipt.status == OutboxStatus.SENT and receipt.message_id  # that it was sent stays
    assert "rieng.tu@congty.example" not in _row_text(receipt) and "Phạm Thị Riêng" not in _row_text(receipt)

    # past the attendees' period (through tick, as cron runs it): the attendees go, the contact stays
    actions = tick(_days_after(conference, policy.attendees_days), rules, calendar, settings)
    anonymised = [a for a in actions if a["action"] == "personal_data_anonymised"]
    assert anonymised and anonymised[0]["attendees"] == 1 and anonymised[0]["contacts"] == 0
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.attendees == [] and registration.contact_email == "rieng.tu@congty.example"

    # past the contacts' period: the person is gone from the registration, the mail and the audit
    at = _days_after(conference, policy.contacts_days)
    assert privacy.apply_retention(at, rules)["contacts"] == 1
    db.session.commit()
    assert privacy.apply_retention(at + dt.timedelta(hours=2), rules) is None  # once a day
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert (registration.contact_name, registration.contact_email, registration.contact_phone) == (
        "[đã xóa]", "da-xoa@invalid", "")
    created = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "registration.create",
                                                         AuditEvent.target_id == code))
    assert created is not None and created.details["recommendations"]  # the event and its meaning stay
    assert (created.actor, created.ip, created.user_agent) == ("enterprise", "", "")
    assert db.session.scalar(select(func.count(Recommendation.id))) == 2  # the public record stays
    runs = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "privacy.retention")).all()
    assert len(runs) == 3 and {"contacts": 1}.items() <= runs[-1].items()


def test_sent_mail_loses_its_addresses_and_body_after_the_mail_period(app_ctx, rules):
    now = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    old = outbox.queue_mail(to=["lanh.dao@haiphong.gov.vn"], cc=["van.phong@haiphong.gov.vn"],
                            subject="Báo cáo tuần", text="Kính gửi đồng chí Nguyễn Văn A", dedupe_key="weekly:1",
                            message_domain=sender_domain(services().settings))
    recent = outbox.queue_mail(to=["lanh.dao@haiphong.gov.vn"], subject="Báo cáo tuần", text="Kính gửi",
                               dedupe_key="weekly:2",
                               message_domain=sender_domain(services().settings))
    waiting = outbox.queue_mail(to=["cho.gui@haiphong.gov.vn"], subject="Chưa gửi", text="Kính gửi",
                                message_domain=sender_domain(services().settings))
    policy = privacy.retention_policy(rules)
    old.created_at = now - dt.timedelta(days=policy.mail_days + 1)
    old.status, old.done_at = OutboxStatus.SENT, old.created_at
    recent.created_at = now - dt.timedelta(days=policy.mail_days - 1)
    recent.status = OutboxStatus.SENT
    waiting.created_at = now - dt.timedelta(days=policy.mail_days + 1)  # pending: not the retention's to drop
    db.session.commit()
    assert privacy.apply_retention(now, rules)["mail"] == 1
    db.session.commit()
    db.session.expire_all()
    assert old.payload["to"] == ["da-xoa@invalid"] and old.payload["cc"] == ["da-xoa@invalid"]
    assert "Nguyễn Văn A" not in _row_text(old) and old.dedupe_key == "weekly:1"
    assert recent.payload["to"] == ["lanh.dao@haiphong.gov.vn"]
    assert waiting.status == OutboxStatus.PENDING and waiting.payload["to"] == ["cho.gui@haiphong.gov.vn"]


def test_invitees_lose_their_addresses_after_their_period(app_ctx, rules, calendar):
    conference = open_conference(rules, calendar)
    db.session.add(Invitee(conference_id=conference.id, category=InviteeCategory.PRESS, name="Phóng viên Hòa",
                           organisation="Báo Hải Phòng", email="hoa@baohaiphong.example"))
    db.session.commit()
    days = privacy.retention_policy(rules).invitees_days
    assert privacy.apply_retention(_days_after(conference, days - 1), rules)["invitees"] == 0
    assert privacy.apply_retention(_days_after(conference, days), rules)["invitees"] == 1
    invitee = db.session.scalar(select(Invitee))
    assert (invitee.name, invitee.email) == ("Phóng viên Hòa", "")  # the name is in the issued invitation


def test_the_attendees_run_reads_only_the_lists_not_emptied_yet(app_ctx, rules, calendar):
    """Each day's run loads only the past conferences' registrations whose attendee list is not empty yet:
    it read every past registration every day, a number that grows with the years."""
    from tests.factories import create_registration

    conference = open_conference(rules, calendar)
    people = [{"name": "Nguyễn Văn An", "position": "Giám đốc"}]
    emptied = [create_registration(conference, attendees=[]).id for _ in range(3)]
    kept = create_registration(conference, attendees=people).id
    db.session.commit()
    cutoff = conference.starts_at + dt.timedelta(days=1)
    db.session.expunge_all()
    loaded = []

    def on_load(target, _context):
        loaded.append(target.id)

    event.listen(Registration, "load", on_load)
    try:
        assert privacy._expire_attendees(cutoff) == 1
    finally:
        event.remove(Registration, "load", on_load)
    assert loaded == [kept] and not set(loaded) & set(emptied)
    db.session.commit()
    assert db.session.get(Registration, kept).attendees == []
    assert privacy._expire_attendees(cutoff) == 0


def test_erase_scrubs_the_mail_sent_to_the_person_and_the_audit_about_them(app, client, app_ctx, rules, calendar,
                                                                          settings):
    conference = open_conference(rules, calendar)
    tax_code = valid_tax_code(6262)
    registration = _register(client, app, conference, tax_code, "xoa.ngay@congty.example", "Đỗ Văn Xóa")
    other = _register(client, app, conference, valid_tax_code(6263), "giu.lai@congty.example", "Vũ Thị Giữ")
    runner = app.test_cli_runner()
    erased = runner.invoke(args=["privacy", "erase", "--tax-code", tax_code, "--yes"], catch_exceptions=False)
    assert erased.exit_code == 0, erased.output
    db.session.expire_all()
    receipt = _receipt(registration)
    assert receipt.status == OutboxStatus.SENT and receipt.payload["to"] == ["da-xoa@invalid"]
    assert "xoa.ngay@congty.example" not in _row_text(receipt) and "Đỗ Văn Xóa" not in _row_text(receipt)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.target_id == registration.tracking_code)).all()
    assert [e.action for e in events] == ["registration.create"]
    assert all((e.ip, e.user_agent) == ("", "") for e in events)
    # the other enterprise's person is untouched
    assert _receipt(other).payload["to"] == ["giu.lai@congty.example"]
    kept = db.session.scalar(select(AuditEvent).where(AuditEvent.target_id == other.tracking_code))
    assert (kept.ip, kept.user_agent) == ("203.0.113.77", BROWSER)


def test_two_ticks_at_once_anonymise_once(app, app_ctx, rules):
    """Two ticks in the same minute (cron overlapping a slow run, two hosts): each calls the day's retention
    run from its own session and connection at the same moment; exactly one does it and records it."""
    import threading

    from webforms.models import DailyRun
    from webforms.timeutil import utcnow

    now = utcnow()
    db.session.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                results.append(privacy.apply_retention(now, rules))
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(r is None for r in results) == [False, True]  # one ran, one found it done
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == privacy.RETENTION_ACTION)) == 1
    assert db.session.scalar(select(func.count()).select_from(DailyRun)) == 1
    assert privacy.apply_retention(now, rules) is None  # and a third, later, does nothing


def test_years_of_mail_are_scrubbed_a_bounded_batch_per_tick_oldest_first(app_ctx, rules, monkeypatch):
    """The first run over years of mail (retention turned on after an upgrade) does not scrub a million
    messages in one transaction: each tick takes at most `mail_rows_per_tick`, the oldest first, and the
    ticks after the day's run go on until none is left (issue 18)."""
    from config.schema import RetentionModel

    policy = RetentionModel(mail_rows_per_tick=5)
    monkeypatch.setattr(privacy, "retention_policy", lambda _rules: policy)
    now = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)
    old = []
    for i in range(12):
        row = outbox.queue_mail(to=[f"nguoi.{i}@congty.example"], subject="Đã nhận kiến nghị", text="Kính gửi",
                                dedupe_key=f"old:{i}", message_domain=sender_domain(services().settings))
        row.created_at = now - dt.timedelta(days=policy.mail_days + 30 - i)  # i = 0 is the oldest
        row.status, row.done_at = OutboxStatus.SENT, row.created_at
        old.append(row)
    db.session.commit()

    scrubbed = []
    for minute in range(4):
        counts = privacy.apply_retention(now + dt.timedelta(minutes=minute), rules)
        db.session.commit()
        scrubbed.append(counts and counts["mail"])
    assert scrubbed == [5, 5, 2, None]
    db.session.expire_all()
    assert all(row.erased_at is not None and row.payload["to"] == ["da-xoa@invalid"] for row in old)
    assert [row.erased_at for row in old[:5]] == [now] * 5  # the oldest went first
    runs = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "privacy.retention")).all()
    assert [run["mail"] for run in runs] == [5, 5, 2]


def test_messages_scrubbed_before_the_column_keep_their_time(app_ctx):
    """The migration that made `erased_at` a column reads it from the payloads scrubbed before it."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    downgrade(revision="c5f1a3e7d9b2")
    try:
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO outbox_messages (kind, queue, dedupe_key, payload, status, attempts, "
                              "last_error, message_id, created_at) VALUES ('mail', 'mail', :key, :payload, "
                              "'sent', 1, '', '', :at)"),
                         [{"key": "scrubbed", "payload": json.dumps({"to": ["da-xoa@invalid"],
                                                                     "erased_at": "2027-03-01T09:30:00+00:00"}),
                           "at": "2026-01-01 00:00:00"},
                          {"key": "kept", "payload": json.dumps({"to": ["a@b.example"]}),
                           "at": "2026-01-01 00:00:00"}])
    finally:
        upgrade()
    erased = dict(db.session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.erased_at)).all())
    assert erased == {"scrubbed": dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC), "kept": None}
