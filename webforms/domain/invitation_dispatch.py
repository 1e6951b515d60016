"""What was sent to whom: per addressee of the invitations, its rendered invitation and how it goes
out — by email (and that email's state) or, without an email, through the document system or by
hand by the Office (workers/document_jobs.py `send_invitations` renders those too and mails them to
the Office in one message)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select

from webforms.domain.invitations import Addressee, invitation_addressees
from webforms.extensions import db
from webforms.models import Conference, Document, OutboxMessage


@dataclass(frozen=True)
class Dispatch:
    addressee: Addressee
    document: Document | None  # the latest rendered invitation, if any
    mail: OutboxMessage | None  # the email to the addressee, if one was queued

    @property
    def by_hand(self) -> bool:
        return not self.addressee.email

    @property
    def state(self) -> str:
        """not_yet | by_hand | mail_pending | mail_sent | mail_failed"""
        if self.by_hand:
            return "by_hand" if self.document is not None else "not_yet"
        if self.mail is None:
            return "not_yet"
        return {"sent": "mail_sent", "failed": "mail_failed"}.get(self.mail.status, "mail_pending")


@dataclass(frozen=True)
class DispatchReport:
    rows: list[Dispatch]
    office_mail: OutboxMessage | None  # the latest list of hand-delivered invitations sent to the Office

    @property
    def by_hand(self) -> list[Dispatch]:
        return [r for r in self.rows if r.by_hand]

    @property
    def by_email(self) -> list[Dispatch]:
        return [r for r in self.rows if not r.by_hand]

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.state == state)


def invitation_dispatch(conference: Conference) -> DispatchReport:
    addressees = invitation_addressees(conference)
    documents: dict[str, Document] = {}
    for document in db.session.scalars(select(Document).where(
            Document.conference_id == conference.id, Document.kind == "invitation", Document.status == "done")
            .order_by(Document.version)):
        documents[document.subject_key] = document  # the highest version wins
    prefix, office_prefix = f"invitation:{conference.id}:", f"invitations_by_hand:{conference.id}:"
    mails, office_mail = {}, None
    for row in db.session.scalars(select(OutboxMessage).where(or_(
            OutboxMessage.dedupe_key.startswith(prefix, autoescape=True),
            OutboxMessage.dedupe_key.startswith(office_prefix, autoescape=True))).order_by(OutboxMessage.id)):
        if row.dedupe_key.startswith(prefix):
            mails[row.dedupe_key[len(prefix):]] = row
        else:
            office_mail = row  # the latest list wins
    rows = [Dispatch(a, documents.get(a.subject_key), mails.get(a.subject_key)) for a in addressees]
    return DispatchReport(rows, office_mail)
