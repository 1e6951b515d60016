"""Personal data of one enterprise: export everything held, erase what the law allows (issue 16, item 11;
Law on Personal Data Protection 2025, Decree 13/2023/NĐ-CP). Both are audited.

Erasing removes the personal data of people (the contact person's name, position, e-mail and phone, the
attendees) from the enterprise's registrations and from held re-submissions, the addresses, subjects and
bodies of the e-mails sent to them (the outbox keeps that a message went out, and when), and the submitter's
e-mail, client address and browser from the audit events about them (each event stays, with its action,
target and time). The enterprise's own business data, its recommendations and the answers stay: they are
records of a public administrative procedure, and issued documents are kept as archives.

The same happens without anyone asking once data has passed its retention period (config/security.yaml
`retention`): `apply_retention`, run by every tick (the mail in bounded batches, the rest once a day).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, or_, select

from config.schema import RetentionModel
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.outbox import MAIL_KIND
from webforms.domain.sql import dialect_insert
from webforms.extensions import db
from webforms.models import (
    Attachment,
    AuditEvent,
    Conference,
    DailyRun,
    Enterprise,
    Invitee,
    OutboxMessage,
    OutboxStatus,
    Recommendation,
    Registration,
    Resubmission,
)

ERASED = "[đã xóa]"
ERASED_EMAIL = "da-xoa@invalid"


class NotFound(LookupError):
    pass


def _enterprise(tax_code: str) -> Enterprise:
    enterprise = db.session.scalar(select(Enterprise).where(Enterprise.tax_code == tax_code.strip()))
    if enterprise is None:
        raise NotFound(tax_code)
    return enterprise


def export_enterprise(tax_code: str, *, actor: Actor, now: dt.datetime) -> dict:
    """Everything held about the enterprise and the people it named, as plain data (JSON-ready)."""
    enterprise = _enterprise(tax_code)
    registrations = list(db.session.scalars(
        select(Registration).where(Registration.enterprise_id == enterprise.id).order_by(Registration.id)))
    codes = [r.tracking_code for r in registrations]
    rec_codes = []
    out_regs = []
    for reg in registrations:
        recs = list(db.session.scalars(
            select(Recommendation).where(Recommendation.registration_id == reg.id).order_by(Recommendation.seq)))
        rec_codes += [r.code for r in recs]
        out_regs.append({
            "conference": reg.conference.slug,
            "tracking_code": reg.tracking_code,
            "registered_at": reg.registered_at.isoformat(),
            "contact": {"name": reg.contact_name, "position": reg.contact_position, "email": reg.contact_email,
                        "phone": reg.contact_phone},
            "attendees": list(reg.attendees or []),
            "public_consent": reg.public_consent,
            "recommendations": [{
                "code": r.code, "title": r.title, "content": r.content, "field": r.field_code,
                "status": r.status, "answer": r.answer,
                "attachments": [{"name": a.original_name, "size": a.size, "sha256": a.sha256}
                                for a in db.session.scalars(select(Attachment).where(
                                    Attachment.recommendation_id == r.id))],
            } for r in recs],
            "resubmissions": [{"submitted_at": s.submitted_at.isoformat(), "payload": s.payload}
                              for s in db.session.scalars(select(Resubmission).where(
                                  Resubmission.registration_id == reg.id))],
        })
    events = db.session.scalars(select(AuditEvent).where(or_(
        (AuditEvent.target_kind == "enterprise") & (AuditEvent.target_id == enterprise.tax_code),
        (AuditEvent.target_kind == "registration") & AuditEvent.target_id.in_(codes or [""]),
        (AuditEvent.target_kind == "recommendation") & AuditEvent.target_id.in_(rec_codes or [""]),
    )).order_by(AuditEvent.id))
    data = {
        "enterprise": {"tax_code": enterprise.tax_code, "name": enterprise.name, "zone": enterprise.zone_code,
                       "address": enterprise.address, "sector": enterprise.sector},
        "registrations": out_regs,
        "history": [{"at": e.at.isoformat(), "action": e.action, "target": f"{e.target_kind}:{e.target_id}"}
                    for e in events],
    }
    record(actor, "privacy.export", "enterprise", enterprise.tax_code, now=now)
    return data


def erase_enterprise(tax_code: str, *, actor: Actor, now: dt.datetime) -> int:
    """Remove the people's data from the enterprise's registrations, the e-mails sent to them and the audit
    events about them; the number of registrations changed."""
    enterprise = _enterprise(tax_code)
    registrations = list(db.session.scalars(select(Registration).where(Registration.enterprise_id == enterprise.id)))
    addresses = set()
    for reg in registrations:
        addresses.add(reg.contact_email)
        _erase_contact(reg)
        reg.attendees = []
        for held in db.session.scalars(select(Resubmission).where(Resubmission.registration_id == reg.id)):
            addresses.add(((held.payload or {}).get("contact") or {}).get("email", ""))
            _scrub_resubmission(held)
    _scrub_audit(registrations, enterprise.tax_code)
    scrub_mail(addresses, now=now)
    record(actor, "privacy.erase", "enterprise", enterprise.tax_code, now=now, registrations=len(registrations))
    return len(registrations)


# -- what erasing does to each kind of row ------------------------------------------------------------------

# Keys of an audit event's details that may hold a person's data; the event keeps the others.
PERSONAL_DETAILS = frozenset({"email", "contact", "contact_email", "attendees", "phone", "to", "cc"})


def _erase_contact(reg: Registration) -> None:
    reg.contact_name = ERASED
    reg.contact_position = ""
    reg.contact_email = ERASED_EMAIL
    reg.contact_phone = ""
    reg.contact_confirmed_at = None
    reg.receipt_held_at = None  # nobody to send it to


def _scrub_resubmission(held: Resubmission) -> None:
    held.payload = {k: v for k, v in (held.payload or {}).items() if k not in ("contact", "attendees")}


def _scrub_audit(registrations: list[Registration], tax_code: str | None = None) -> int:
    """The events about these registrations (and their recommendations, and the enterprise) that the public
    side caused keep their action, target, time and non-personal details; the submitter's e-mail (the form
    records it as the actor), client address and browser go."""
    codes = [r.tracking_code for r in registrations]
    if not codes:
        return 0
    rec_codes = list(db.session.scalars(
        select(Recommendation.code).where(Recommendation.registration_id.in_([r.id for r in registrations]))))
    about = [(AuditEvent.target_kind == "registration") & AuditEvent.target_id.in_(codes)]
    if rec_codes:
        about.append((AuditEvent.target_kind == "recommendation") & AuditEvent.target_id.in_(rec_codes))
    if tax_code:
        about.append((AuditEvent.target_kind == "enterprise") & (AuditEvent.target_id == tax_code))
    changed = 0
    for event in db.session.scalars(select(AuditEvent).where(or_(*about))):
        details = event.details or {}
        personal = PERSONAL_DETAILS & set(details)
        public_side = event.actor_kind == "enterprise_link"
        if not personal and not (public_side and (event.ip or event.user_agent or event.actor != "enterprise")):
            continue
        if public_side:
            event.actor, event.ip, event.user_agent = "enterprise", "", ""
        if personal:
            event.details = {k: v for k, v in details.items() if k not in personal}
        changed += 1
    return changed


def _address_of(value: str | None) -> str:
    return (value or "").strip().lower()


def _mail_addresses(payload: dict) -> set[str]:
    return {_address_of(a) for a in [*(payload.get("to") or []), *(payload.get("cc") or []),
                                     payload.get("reply_to")] if a}


def _unscrubbed_mail():
    return select(OutboxMessage).where(OutboxMessage.kind == MAIL_KIND, OutboxMessage.erased_at.is_(None))


def _scrub_message(row: OutboxMessage, now: dt.datetime) -> None:
    """Keep that a message was sent (its key, Message-ID, status and times), not to whom nor what it said.
    A message not yet sent is not sent at all."""
    payload = row.payload or {}
    for address in _mail_addresses(payload):  # some keys carry the address ("conference-postponed:a@b")
        if row.dedupe_key and address in row.dedupe_key.lower():
            digest = hashlib.sha256(address.encode()).hexdigest()[:16]
            row.dedupe_key = row.dedupe_key.lower().replace(address, digest)[:200]
    row.payload = {
        "to": [ERASED_EMAIL for _ in payload.get("to") or []],
        "cc": [ERASED_EMAIL for _ in payload.get("cc") or []],
        "reply_to": None,
        "subject": ERASED,
        "text": ERASED,
        "html": "",
        "attachments": [{"filename": a.get("filename", ""), **({"document_id": a["document_id"]}
                                                                if "document_id" in a else {})}
                        for a in payload.get("attachments") or []],
        "erased_at": now.isoformat(),
    }
    row.erased_at = now
    if row.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
        row.status = OutboxStatus.FAILED
        row.last_error = "personal data erased before sending"
        row.done_at = now
    else:
        row.last_error = ""  # an SMTP error may quote the address


def scrub_mail(addresses, *, now: dt.datetime) -> int:
    """Scrub every e-mail to or from one of `addresses`; the number of messages scrubbed. One pass over the
    messages not scrubbed yet (older ones are, by the mail retention period)."""
    wanted = {_address_of(a) for a in addresses if a} - {ERASED_EMAIL}
    if not wanted:
        return 0
    changed = 0
    for row in db.session.scalars(_unscrubbed_mail().execution_options(yield_per=500)):
        if _mail_addresses(row.payload or {}) & wanted:
            _scrub_message(row, now)
            changed += 1
    return changed


# -- retention: the daily anonymisation (run by tick) ------------------------------------------------------

RETENTION_ACTION = "privacy.retention"


def retention_policy(rules) -> RetentionModel:
    checked = getattr(rules, "checked", None)
    return checked.security.retention if checked is not None else RetentionModel()


def claim_daily_run(name: str, day: dt.date, now: dt.datetime) -> bool:
    """True when this transaction claimed `name` for `day`. The claim is an INSERT on the primary key: on
    PostgreSQL a second tick's INSERT waits for the first transaction and then inserts nothing; on SQLite
    the transaction holds the write lock from BEGIN, so the second tick reads the first one's row. Of two
    ticks in the same minute only one does the day's work."""
    if db.session.get(DailyRun, (name, day)) is not None:  # the usual case: done earlier today, one read
        return False
    statement = dialect_insert(db.session)(DailyRun).values(name=name, day=day, started_at=now) \
        .on_conflict_do_nothing(index_elements=["name", "day"]).returning(DailyRun.name)
    return db.session.execute(statement).scalar() is not None


def apply_retention(now: dt.datetime, rules) -> dict | None:
    """Anonymise what has passed its retention period (config/security.yaml `retention`), recorded as one
    audit event with the counts; None when there was nothing to do.

    Registrations, attendees, invitees and re-submissions: once per local day. Mail: every call, at most
    `mail_rows_per_tick` messages, the oldest first, found through `ix_outbox_unerased`: after a day's mail
    has passed the period the first tick of the next day scrubs it, and a backlog (years of mail on the day
    retention first runs) is worked off a bounded batch per tick instead of in one transaction."""
    local_day = now.astimezone(rules.plan.timezone).date()
    day = local_day.isoformat()
    policy = retention_policy(rules)
    claimed = claim_daily_run("retention", local_day, now)
    mail = _expire_mail(_local_midnight(local_day, rules) - dt.timedelta(days=policy.mail_days), now,
                        policy.mail_rows_per_tick)
    if not claimed:
        if not mail:
            return None
        counts = {"mail": mail}
    else:
        counts = {
            "contacts": _expire_contacts(now - dt.timedelta(days=policy.contacts_days), now),
            "attendees": _expire_attendees(now - dt.timedelta(days=policy.attendees_days)),
            "invitees": _expire_invitees(now - dt.timedelta(days=policy.invitees_days)),
            "resubmissions": _expire_resubmissions(now - dt.timedelta(days=policy.resubmissions_days)),
            "mail": mail,
        }
    record(SYSTEM, RETENTION_ACTION, "day", day, now=now, **counts)
    return counts


def _local_midnight(day: dt.date, rules) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=rules.plan.timezone).astimezone(dt.UTC)


def _past(cutoff: dt.datetime):
    return select(Conference.id).where(Conference.starts_at < cutoff)


def _expire_contacts(cutoff: dt.datetime, now: dt.datetime) -> int:
    registrations = list(db.session.scalars(select(Registration).where(
        Registration.conference_id.in_(_past(cutoff)), Registration.contact_email != ERASED_EMAIL)))
    addresses = set()
    for reg in registrations:
        addresses.add(reg.contact_email)
        _erase_contact(reg)
        for held in db.session.scalars(select(Resubmission).where(Resubmission.registration_id == reg.id)):
            addresses.add(((held.payload or {}).get("contact") or {}).get("email", ""))
            _scrub_resubmission(held)
    _scrub_audit(registrations)
    scrub_mail(addresses, now=now)
    return len(registrations)


def _expire_attendees(cutoff: dt.datetime) -> int:
    """Empty the attendee lists of past conferences' registrations. Only the lists not emptied yet are read
    (json_array_length on SQLite and PostgreSQL alike): every day's run read every past registration."""
    changed = 0
    for reg in db.session.scalars(select(Registration).where(
            Registration.conference_id.in_(_past(cutoff)), func.json_array_length(Registration.attendees) > 0)):
        reg.attendees = []
        changed += 1
    return changed


def _expire_invitees(cutoff: dt.datetime) -> int:
    invitees = list(db.session.scalars(select(Invitee).where(
        Invitee.conference_id.in_(_past(cutoff)), Invitee.email != "")))
    for invitee in invitees:
        invitee.email = ""
    return len(invitees)


def _expire_resubmissions(cutoff: dt.datetime) -> int:
    """Held re-submissions past the period that can no longer be confirmed (confirmed or expired)."""
    changed = 0
    for held in db.session.scalars(select(Resubmission).where(
            Resubmission.submitted_at < cutoff,
            Resubmission.confirmed_at.isnot(None) | Resubmission.discarded_at.isnot(None))):
        if {"contact", "attendees"} & set(held.payload or {}):
            _scrub_resubmission(held)
            changed += 1
    return changed


def _expire_mail(cutoff: dt.datetime, now: dt.datetime, limit: int) -> int:
    """Scrub up to `limit` sent or failed messages written before `cutoff`, the oldest first. On PostgreSQL
    rows another tick is scrubbing are skipped, not waited for."""
    rows = list(db.session.scalars(
        _unscrubbed_mail()
        .where(OutboxMessage.created_at < cutoff,
               OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)))
        .order_by(OutboxMessage.erased_at, OutboxMessage.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)))
    for row in rows:
        _scrub_message(row, now)
    return len(rows)
