"""Who receives an invitation: the conference's invitees and the contact of each registered enterprise."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webforms.extensions import db
from webforms.models import Conference, Invitee, Registration


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
    for registration in db.session.scalars(select(Registration)
                                           .where(Registration.conference_id == conference.id)
                                           .order_by(Registration.id)):
        result.append(Addressee({"registration": registration.id}, f"registration:{registration.id}",
                                registration.contact_email.strip(), registration.contact_name,
                                registration.enterprise.name))
    return result
