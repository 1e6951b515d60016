"""Where each invitation stands, per addressee: its latest invitation (draft, approved, issued) and how it
goes out once issued — by email (and that email's state) or, without an email, through the document
system by the Office, with the issued PDF to download.

The invitations milestone (workers/document_jobs.py `send_invitations`) renders the drafts and asks the
Office to have them approved, signed and issued; each invitation is its own giấy mời with its own register
number (Decree 30 Mẫu 1.7 names the invitee, and the wording differs for a leader of the city, a person
and a body). Issuing mails the signed PDF and the calendar file (issuing.deliver_issued)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webforms.domain.invitations import Addressee, invitation_addressees
from webforms.extensions import db
from webforms.models import Conference, Document, DocumentState, OutboxMessage

KIND = "invitation"


def issued_mail_key(conference_id: int, subject_key: str, document_id: int) -> str:
    """The dedupe key of the email sending an issued invitation to its addressee."""
    return f"invitation-issued:{conference_id}:{subject_key}#{document_id}"


@dataclass(frozen=True)
class Dispatch:
    addressee: Addressee
    document: Document | None  # the latest invitation not withdrawn, if any
    mail: OutboxMessage | None  # the email sending that document, once issued

    @property
    def by_hand(self) -> bool:
        return not self.addressee.email

    @property
    def issued(self) -> bool:
        return self.document is not None and self.document.state == DocumentState.ISSUED

    @property
    def state(self) -> str:
        """not_yet | draft | approved | by_hand | mail_pending | mail_sent | mail_failed"""
        if self.document is None:
            return "not_yet"
        if not self.issued:
            return "approved" if self.document.state in (DocumentState.APPROVED, DocumentState.SIGNED) else "draft"
        if self.by_hand:
            return "by_hand"
        if self.mail is None:
            return "mail_pending"
        return {"sent": "mail_sent", "failed": "mail_failed"}.get(self.mail.status, "mail_pending")


@dataclass(frozen=True)
class DispatchReport:
    rows: list[Dispatch]
    office_mail: OutboxMessage | None  # the latest request to the Office to issue the drafts

    @property
    def by_hand(self) -> list[Dispatch]:
        return [r for r in self.rows if r.by_hand]

    @property
    def by_email(self) -> list[Dispatch]:
        return [r for r in self.rows if not r.by_hand]

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.state == state)

    def documents(self, state: DocumentState) -> list[Document]:
        return [r.document for r in self.rows if r.document is not None and r.document.state == state]


def latest_invitations(conference: Conference, *, after_document_id: int = 0) -> dict[str, Document]:
    """The latest invitation of each addressee (subject key), withdrawn ones left out."""
    documents: dict[str, Document] = {}
    for document in db.session.scalars(select(Document).where(
            Document.conference_id == conference.id, Document.kind == KIND, Document.status == "done",
            Document.state.not_in((DocumentState.WITHDRAWN, DocumentState.REPLACED)),
            Document.id > after_document_id).order_by(Document.version)):
        documents[document.subject_key] = document  # the highest version wins
    return documents


def invitation_dispatch(conference: Conference, *, after_document_id: int = 0) -> DispatchReport:
    addressees = invitation_addressees(conference)
    documents = latest_invitations(conference, after_document_id=after_document_id)
    mails, office_mail = {}, None
    prefix, office_prefix = f"invitation-issued:{conference.id}:", f"invitations_to_issue:{conference.id}"
    for row in db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.startswith(prefix, autoescape=True)
            | OutboxMessage.dedupe_key.startswith(office_prefix, autoescape=True)).order_by(OutboxMessage.id)):
        if row.dedupe_key.startswith(prefix):
            mails[row.dedupe_key] = row
        else:
            office_mail = row  # the latest request wins
    rows = []
    for addressee in addressees:
        document = documents.get(addressee.subject_key)
        mail = mails.get(issued_mail_key(conference.id, addressee.subject_key, document.id)) if document else None
        rows.append(Dispatch(addressee, document, mail))
    return DispatchReport(rows, office_mail)


def approve_drafts(conference: Conference) -> list[Document]:
    """Approve the content of every draft invitation (duyệt dự thảo) in one go; returns them."""
    drafts = invitation_dispatch(conference).documents(DocumentState.DRAFT)
    for document in drafts:
        document.move_to(DocumentState.APPROVED)
    db.session.flush()
    return drafts


def approved_ids(conference: Conference) -> list[int]:
    """The approved invitations waiting to be signed and issued, in the addressees' order."""
    return [d.id for d in invitation_dispatch(conference).documents(DocumentState.APPROVED)]
