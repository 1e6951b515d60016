"""Who receives an invitation: the conference's invitees and the contact of each registered enterprise."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webforms.extensions import db
from webforms.models import Conference, Enterprise, Invitee, Registration


@dataclass(frozen=True)
class Addressee:
    subject: dict  # what the invitation document is about: {"invitee": id} or {"registration": id}
    subject_key: str  # Document.subject_key, also the mail's dedupe suffix
    email: str
    name: str
    organisation: str


def invitation_addressees(conference: Conference) -> list[Addressee]:
    result = []
    for invitee in db.session.scalars(select(Invitee).where(Invitee.conference_id == conference.id)
                                      .order_by(Invitee.id)):
        result.append(Addressee({"invitee": invitee.id}, f"invitee:{invitee.id}", invitee.email.strip(),
                                invitee.name, invitee.organisation))
    # One query for every enterprise's contact and name (the dashboard lists them for large conferences).
    for reg_id, email, contact, enterprise in db.session.execute(
            select(Registration.id, Registration.contact_email, Registration.contact_name, Enterprise.name)
            .join(Enterprise, Registration.enterprise_id == Enterprise.id)
            .where(Registration.conference_id == conference.id).order_by(Registration.id)):
        result.append(Addressee({"registration": reg_id}, f"registration:{reg_id}", email.strip(), contact,
                                enterprise))
    return result
