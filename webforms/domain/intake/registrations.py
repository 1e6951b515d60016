"""Writing a registration: the enterprise, the contact, the recommendations, and what a submission did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from webforms.domain.attachments import (
    discard_files,
)
from webforms.domain.audit import Actor, record
from webforms.domain.sql import insert_new
from webforms.domain.validation import RegistrationInput
from webforms.extensions import db
from webforms.models import (
    Attachment,
    Enterprise,
    Recommendation,
    RecommendationStatus,
    Registration,
    Resubmission,
    Scope,
)

ENTERPRISE = Actor(kind="enterprise_link", name="enterprise")


@dataclass
class Submission:
    """What a submission did. `token` is the private token, known only to the call that issued it."""

    registration: Registration
    token: str | None = None
    created: bool = False
    duplicate: bool = False  # the same submission key seen again: nothing new was done
    resubmission: Resubmission | None = None  # held until the enterprise confirms it
    new_recommendations: list[Recommendation] = field(default_factory=list)

    @property
    def pending_confirmation(self) -> bool:
        return self.resubmission is not None and self.resubmission.confirmed_at is None


_ENTERPRISE_BY_TAX_CODE = select(Enterprise).where(Enterprise.tax_code == bindparam("tax_code"))  # built once


def _enterprise_for(cleaned: RegistrationInput, now: dt.datetime) -> tuple[Enterprise, bool]:
    """The enterprise of the tax code, and whether this transaction created it (then nothing else refers to it
    yet: no registration of it exists, and none by another transaction can until this one commits)."""
    tax_code = cleaned.enterprise.tax_code
    enterprise = db.session.scalar(_ENTERPRISE_BY_TAX_CODE, {"tax_code": tax_code})
    if enterprise is not None:
        return enterprise, False
    enterprise = insert_new(db.session, Enterprise, {
        "tax_code": tax_code,
        "name": cleaned.enterprise.name,
        "zone_code": cleaned.enterprise.zone,
        "address": cleaned.enterprise.address,
        "sector": cleaned.enterprise.sector,
        "created_at": now,
    }, index_elements=["tax_code"])
    if enterprise is None:  # registered by another submission a moment ago
        return db.session.scalar(_ENTERPRISE_BY_TAX_CODE, {"tax_code": tax_code}), False
    return enterprise, True


def _intake_policy(settings):
    from webforms.domain.accounts import security_policy

    return security_policy(settings.rules_dir)


def _update_enterprise_if_allowed(enterprise: Enterprise, cleaned: RegistrationInput, *, staff_entry: bool,
                                  now: dt.datetime, actor: Actor) -> None:
    """A first registration of the tax code sets the shared record; a registration for another conference
    does not change it (tax codes are public: anyone could rename an enterprise; F7). Its data then
    waits in the audit log for staff; the registered contact changes it by confirming a re-submission."""
    registered = db.session.scalar(
        select(Registration.id).where(Registration.enterprise_id == enterprise.id).limit(1)
    ) is not None
    if staff_entry or not registered:
        _update_enterprise(enterprise, cleaned)
        return
    submitted = {"name": cleaned.enterprise.name, "zone_code": cleaned.enterprise.zone,
                 "address": cleaned.enterprise.address, "sector": cleaned.enterprise.sector}
    changed = {k: v for k, v in submitted.items() if getattr(enterprise, k) != v}
    if changed:
        record(actor, "enterprise.change_not_applied", "enterprise", enterprise.tax_code, now=now, **changed)


def _update_enterprise(enterprise: Enterprise, cleaned: RegistrationInput) -> None:
    enterprise.name = cleaned.enterprise.name
    enterprise.zone_code = cleaned.enterprise.zone
    enterprise.address = cleaned.enterprise.address
    enterprise.sector = cleaned.enterprise.sector


def _contact_values(cleaned: RegistrationInput) -> dict:
    return {
        "contact_name": cleaned.contact.name,
        "contact_position": cleaned.contact.position,
        "contact_email": cleaned.contact.email,
        "contact_phone": cleaned.contact.phone,
        "attendees": [dict(a) for a in cleaned.attendees],
        "public_consent": cleaned.public_consent,
    }


def _copy_contact(registration: Registration, cleaned: RegistrationInput) -> None:
    if (registration.contact_email or "").casefold() != cleaned.contact.email.casefold():
        registration.contact_confirmed_at = None  # a new address has shown nothing yet
    for name, value in _contact_values(cleaned).items():
        setattr(registration, name, value)


def _add_recommendations(
    registration: Registration,
    cleaned: RegistrationInput,
    stored: dict[int, list[Attachment]],
    *,
    now: dt.datetime,
    late: bool,
    uploads_dir,
    flush: bool = True,
) -> list[Recommendation]:
    """Append the new recommendations; one identical to an existing one (same title and content) is not
    added twice. `flush=False` leaves them to the session's next flush (a new registration: routing sets
    their status first, so each is one INSERT and no UPDATE)."""
    existing = {(r.title, r.content) for r in registration.recommendations}
    seq = max((r.seq for r in registration.recommendations), default=0)
    added = []
    for item in cleaned.recommendations:
        attachments = stored.get(item.index, [])
        if (item.title, item.content) in existing:
            discard_files(attachments, uploads_dir)
            for attachment in attachments:
                if attachment in db.session:
                    db.session.delete(attachment)
            continue
        existing.add((item.title, item.content))
        seq += 1
        rec = Recommendation(
            registration=registration,
            conference=registration.conference,  # from the identity map: routing reads it before any flush
            seq=seq,
            code=f"{registration.tracking_code}-{seq}",
            title=item.title,
            content=item.content,
            field_code=item.field,
            agency_concerned=item.agency,
            received_at=now,
            late=late,
            scope=Scope.PENDING,
            status=RecommendationStatus.RECEIVED,
            created_at=now,
            attachments=[],
            assignments=[],
        )
        db.session.add(rec)
        for attachment in attachments:
            attachment.recommendation = rec
            db.session.add(attachment)
        added.append(rec)
    if flush:
        db.session.flush()
    return added


def _update_registration(
    registration: Registration, cleaned: RegistrationInput, stored, *, now, late, uploads_dir
) -> Submission:
    _update_enterprise(registration.enterprise, cleaned)
    _copy_contact(registration, cleaned)
    new = _add_recommendations(registration, cleaned, stored, now=now, late=late, uploads_dir=uploads_dir)
    return Submission(registration=registration, new_recommendations=new)


def confirm_contact(registration: Registration, *, now: dt.datetime, actor: Actor) -> None:
    """The private link mailed to the contact was opened: the address is the enterprise's (issue 16, F8).
    Later mails to it may name the enterprise, the contact and the recommendations."""
    if registration.contact_confirmed_at is None:
        registration.contact_confirmed_at = now
        record(actor, "registration.contact_confirmed", "registration", registration.tracking_code, now=now)
