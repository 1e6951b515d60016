"""A second submission by a registered enterprise: held until the address on file confirms it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from config.rules import Rules
from webforms.domain import events, mail_limits
from webforms.domain.attachments import (
    discard_files,
)
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.intake.links import (
    CONFIRM_PATH,
    RESUBMISSION_LINK_MAX_AGE,
    hash_token,
    new_token,
    resubmission_link_token,
)
from webforms.domain.intake.receipts import send_receipt
from webforms.domain.intake.registrations import ENTERPRISE, Submission, _intake_policy, _update_registration
from webforms.domain.intake.window import IntakeClosed, intake_window
from webforms.domain.mail import sender_domain
from webforms.domain.outbox import queue_template
from webforms.domain.validation import RegistrationInput
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    Attachment,
    Registration,
    Resubmission,
)


def _hold_resubmission(
    registration: Registration, cleaned: RegistrationInput, stored, *, submission_key, now, rules, settings, actor
) -> Submission:
    """Keep the second submission aside and ask the address on file to confirm it.

    Past the day's limit for the tax code nothing is kept or mailed, and the answer is the same: an
    unsaved Resubmission (F8).
    """
    limit = _intake_policy(settings).confirmations_per_tax_code_per_day
    if not mail_limits.confirmation_allowed(registration.enterprise_id, limit, now=now):
        discard_files([a for atts in stored.values() for a in atts], settings.resolved_uploads_dir)
        record(actor, "mail.suppressed", "registration", registration.tracking_code, now=now,
               kind="resubmission_confirm")
        return Submission(registration=registration,
                          resubmission=Resubmission(registration_id=registration.id, payload={}, submitted_at=now))
    for attachments in stored.values():
        for attachment in attachments:
            db.session.add(attachment)
    db.session.flush()
    payload = cleaned.as_payload()
    payload["attachments"] = {str(i): [a.id for a in atts] for i, atts in stored.items()}
    payload["submission_key"] = submission_key
    resubmission = Resubmission(registration_id=registration.id, payload=payload, submitted_at=now)
    db.session.add(resubmission)
    db.session.flush()
    link = settings.public_base_url + CONFIRM_PATH.format(
        token=resubmission_link_token(resubmission, settings)
    )
    queue_template(
        "resubmission_confirm_to_enterprise",
        {
            "registration": registration,
            "conference": registration.conference,
            "cleaned": cleaned,
            "confirm_url": link,
            "submitted_at": now,
        },
        to=[registration.contact_email],
        dedupe_key=f"resubmission:{resubmission.id}",
        rules=rules,
        message_domain=sender_domain(settings),
    )
    record(
        actor,
        "registration.resubmit",
        "registration",
        registration.tracking_code,
        now=now,
        resubmission=resubmission.id,
    )
    return Submission(registration=registration, resubmission=resubmission)


def discard_unconfirmed_files(now: dt.datetime) -> list[str]:
    """Remove the attachment rows of re-submissions whose confirmation link has expired unused; return the
    stored names of their files for the caller to remove once its transaction has committed.

    Each re-submission is claimed first (discarded_at set where it is still unconfirmed and undiscarded),
    so two ticks at once act once, and a confirmation that wins the race keeps its files: a claimed
    re-submission can no longer be confirmed, and only rows no recommendation took are deleted."""
    cutoff = now - dt.timedelta(seconds=RESUBMISSION_LINK_MAX_AGE)
    expired = db.session.scalars(
        select(Resubmission.id).where(
            Resubmission.confirmed_at.is_(None), Resubmission.discarded_at.is_(None),
            Resubmission.submitted_at < cutoff,
        )
    ).all()
    names: list[str] = []
    for resubmission_id in expired:
        claimed = db.session.scalar(
            update(Resubmission)
            .where(Resubmission.id == resubmission_id, Resubmission.confirmed_at.is_(None),
                   Resubmission.discarded_at.is_(None))
            .values(discarded_at=now)
            .returning(Resubmission.payload)
        )
        if claimed is None:
            continue  # confirmed or discarded by someone else meanwhile
        ids = [i for group in (claimed.get("attachments") or {}).values() for i in group]
        removed = db.session.scalars(
            delete(Attachment)
            .where(Attachment.id.in_(ids), Attachment.recommendation_id.is_(None), Attachment.assignment_id.is_(None))
            .returning(Attachment.stored_name),
            execution_options={"synchronize_session": "fetch"},
        ).all() if ids else []
        names.extend(removed)
        code = db.session.scalar(
            select(Registration.tracking_code).join(Resubmission, Resubmission.registration_id == Registration.id)
            .where(Resubmission.id == resubmission_id)
        )
        record(SYSTEM, "registration.resubmission_expired", "registration", code, now=now,
               resubmission=resubmission_id, files=len(removed))
    return names


def confirm_resubmission(
    resubmission: Resubmission,
    *,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    actor: Actor = ENTERPRISE,
) -> Submission:
    """Apply a held re-submission: contact and attendees updated, new recommendations added, a fresh
    private link issued (sent in the receipt). Confirming twice does nothing the second time."""
    registration = resubmission.registration
    conference = registration.conference
    if resubmission.confirmed_at is not None:
        return Submission(registration=registration, duplicate=True, resubmission=resubmission)
    window = intake_window(conference, now, rules, calendar)
    if not window.open:
        raise IntakeClosed(window)
    taken = db.session.execute(
        update(Resubmission)
        .where(Resubmission.id == resubmission.id, Resubmission.confirmed_at.is_(None),
               Resubmission.discarded_at.is_(None))
        .values(confirmed_at=now)
    ).rowcount
    db.session.refresh(resubmission)
    if not taken:
        return Submission(registration=registration, duplicate=True, resubmission=resubmission)
    confirmed_from = registration.contact_email
    cleaned = RegistrationInput.from_payload(resubmission.payload)
    stored = {
        int(i): [a for a in (db.session.get(Attachment, aid) for aid in ids) if a is not None]
        for i, ids in (resubmission.payload.get("attachments") or {}).items()
    }
    result = _update_registration(
        registration, cleaned, stored, now=now, late=False, uploads_dir=settings.resolved_uploads_dir
    )
    if registration.contact_email.casefold() == confirmed_from.casefold():
        registration.contact_confirmed_at = now  # the link mailed to this address was used
    token = new_token()
    registration.token_hash = hash_token(token)
    result.token = token
    result.resubmission = resubmission
    db.session.flush()
    send_receipt(registration, token=token, key=f"receipt:{registration.tracking_code}:r{resubmission.id}",
                 recommendations=result.new_recommendations, created=False, updated=True, now=now, rules=rules,
                 calendar=calendar, settings=settings, closes_at=window.closes_at)
    record(
        actor,
        "registration.resubmission_confirmed",
        "registration",
        registration.tracking_code,
        now=now,
        resubmission=resubmission.id,
        recommendations=[r.code for r in result.new_recommendations],
    )
    for rec in result.new_recommendations:
        events.recommendation_received.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
    return result
