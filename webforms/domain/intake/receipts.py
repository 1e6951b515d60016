"""The receipt of a registration: its tracking code and private link, mailed to the address typed.

At most `receipts_per_address_per_day` receipts (config/security.yaml `intake`) go to one address in 24
hours, so the public form cannot make the agency's sender mail one address again and again (issue 16, F8).
A receipt over the limit is held, not dropped: the registration has no usable token until the tick sends
the held receipt with a fresh one, oldest first, once the address has room again. The submitter's answer
is the same either way (F17), and every registrant does get a link.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from config.rules import Rules
from webforms.domain import mail_limits
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.intake.links import hash_token, new_token, status_url
from webforms.domain.intake.registrations import _intake_policy
from webforms.domain.intake.window import intake_closes_at
from webforms.domain.mail import sender_domain
from webforms.domain.outbox import queue_template
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import Recommendation, Registration

HELD_ACTION = "mail.held"


def send_receipt(registration: Registration, *, token: str | None, key: str, recommendations: list[Recommendation],
                 created: bool, now: dt.datetime, rules: Rules, calendar: WorkingCalendar, settings,
                 updated: bool = False, closes_at: dt.datetime | None = None) -> None:
    """Queue the receipt (`receipt_to_enterprise`) to the registration's contact and count it for the address."""
    conference = registration.conference
    if registration.receipt_sent_at != now:  # a new registration has it from its INSERT already
        registration.receipt_sent_at = now
    if token and registration.receipt_held_at is not None:
        registration.receipt_held_at = None  # this receipt carries a private link: nothing is left to send
    queue_template(
        "receipt_to_enterprise",
        {
            "registration": registration,
            "enterprise": registration.enterprise,
            "conference": conference,
            "recommendations": recommendations,
            "status_url": status_url(settings, registration.tracking_code, token) if token else None,
            "created": created,
            "updated": updated,
            "closes_at": closes_at or intake_closes_at(conference, rules, calendar),
            "fields": {f.code: f.name for f in rules.fields},
        },
        to=[registration.contact_email],
        dedupe_key=key,
        rules=rules,
        message_domain=sender_domain(settings),
    )


def receipt_columns(address: str, settings, *, now: dt.datetime, staff_entry: bool) -> dict:
    """A new registration's receipt and confirmation columns, decided before its INSERT so that no UPDATE
    follows it: sent now, or held past the address's daily limit; a staff entry is confirmed by the staff
    member and not limited."""
    if staff_entry:
        return {"receipt_sent_at": now, "contact_confirmed_at": now}
    limit = _intake_policy(settings).receipts_per_address_per_day
    if mail_limits.receipts_allowed(address, limit, now=now):
        return {"receipt_sent_at": now}
    return {"receipt_held_at": now}


def receipt_allowed(registration: Registration, settings, *, now: dt.datetime) -> bool:
    limit = _intake_policy(settings).receipts_per_address_per_day
    return mail_limits.receipts_allowed(registration.contact_email, limit, now=now)


def record_held(registration: Registration, *, now: dt.datetime, actor: Actor) -> None:
    record(actor, HELD_ACTION, "registration", registration.tracking_code, now=now, kind="receipt")


def release_held_receipts(now: dt.datetime, rules: Rules, calendar: WorkingCalendar, settings) -> int:
    """Send the held receipts whose address has room again, oldest first, each with a fresh private token
    (the one made at registration was never sent). Reads only the held rows (a partial index); a receipt
    is claimed before it is sent, so two ticks at once send it once."""
    held = db.session.scalars(
        select(Registration).where(Registration.receipt_held_at.is_not(None))
        .order_by(Registration.receipt_held_at, Registration.id)
    ).all()
    sent = 0
    for registration in held:
        if not receipt_allowed(registration, settings, now=now):
            continue  # this address's day is full still; later ones to other addresses may go
        claimed = db.session.scalar(
            update(Registration)
            .where(Registration.id == registration.id, Registration.receipt_held_at.is_not(None))
            .values(receipt_held_at=None)
            .returning(Registration.id)
            .execution_options(synchronize_session="fetch")
        )
        if claimed is None:
            continue
        token = new_token()
        registration.token_hash = hash_token(token)
        send_receipt(registration, token=token, key=f"receipt:{registration.tracking_code}:held",
                     recommendations=list(registration.recommendations), created=True, now=now, rules=rules,
                     calendar=calendar, settings=settings)
        record(SYSTEM, "mail.released", "registration", registration.tracking_code, now=now, kind="receipt")
        db.session.flush()  # counted for the next one to the same address
        sent += 1
    return sent
