"""Outbox tasks that render documents: `render_document` (mailed to staff as a draft) and `send_invitations`
(the draft invitations, for the Office to approve, sign and issue; issuing sends them).

Both are idempotent through the outbox: a document's email has a dedupe key, and the Document row and
the email row commit together, so a task run again after a crash (the sweep frees a stale claim)
skips what is already done and finishes the rest.

Each render runs with no transaction open (on SQLite any transaction holds the write lock, so a
render inside one would stop every other worker): read and commit, render, then one short write
transaction that checks again that the email is not already there, records the Document and queues
the email.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

from sqlalchemy import select

from webforms.domain import outbox
from webforms.domain.documents import (
    RenderedDocument,
    prepare_document,
    record_document,
    render_outside_transaction,
    render_prepared,
)
from webforms.domain.invitations import invitation_addressees
from webforms.domain.mail import address_domain, document_file_name
from webforms.domain.recipients import recipients_for
from webforms.domain.sql import begin_read_only
from webforms.extensions import db
from webforms.models import Conference, Document, DocumentState, OutboxMessage
from webforms.services import services
from workers.progress import report_progress
from workers.task_jobs import task

log = logging.getLogger("doithoai.documents")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _mail_exists(dedupe_key: str) -> bool:
    found = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    return found is not None


class ConcurrentRun(RuntimeError):
    """Another run of the same task queued the mail first (a job freed as stale while still running)."""


def _require_own_mail(row: OutboxMessage, document: Document) -> None:
    """The mail row is this run's, attaching this document; else roll everything back (the document and
    its file too) and let the retry find the other run's mail and stop."""
    if row.payload["attachments"][0].get("document_id") != document.id:
        raise ConcurrentRun(f"mail {row.dedupe_key!r} was queued by another run with another document")


def _docx_attachment(document: Document) -> dict:
    return {"filename": document_file_name(document, document.conference), "content_type": DOCX,
            "document_id": document.id}


@task("render_document")
def render_document(args: dict) -> dict:
    """Render one document as of `as_of` and, when `mail` is given, email it as an attachment."""
    svc = services()
    begin_read_only(db.session)  # the read phase; the write after the render begins as usual
    conference = db.session.get(Conference, args["conference_id"])
    if conference is None:
        return {"skipped": "conference gone"}
    mail = args.get("mail")
    if mail and _mail_exists(mail["dedupe_key"]):
        return {"skipped": "already sent"}
    as_of = dt.datetime.fromisoformat(args["as_of"])
    # .docx only: the Office edits and signs them; a PDF batch conversion can follow later.
    rendered = render_outside_transaction(conference, args["kind"], svc.rules, svc.settings, as_of, pdf=False,
                                          **args.get("subject", {}))
    try:
        if mail and _mail_exists(mail["dedupe_key"]):
            return {"skipped": "already sent"}  # another run of this task finished during our render
        document = record_document(rendered)
    finally:
        rendered.discard()
    if mail:
        context = {"conference": conference, "document": document, "now": as_of,
                   "base_url": svc.settings.public_base_url, **mail.get("context", {})}
        row = outbox.queue_template(mail["template"], context, to=mail["to"], cc=mail.get("cc", ()),
                                    dedupe_key=mail["dedupe_key"], attachments=[_docx_attachment(document)],
                                    rules=svc.rules, message_domain=address_domain(svc.settings.mail_default_sender))
        _require_own_mail(row, document)
    db.session.commit()
    log.info("document conference=%s kind=%s version=%s document=%s", conference.slug, document.kind,
             document.version, document.id)
    return {"document_id": document.id}


def _rendered_invitation_id(conference_id: int, subject_key: str, after_id: int = 0) -> int | None:
    """The addressee's invitation already rendered (a re-run after a crash), if any and not withdrawn;
    only documents after `after_id` count (those before it were for an earlier date of the conference)."""
    return db.session.scalar(
        select(Document.id).where(Document.conference_id == conference_id, Document.kind == "invitation",
                                  Document.subject_key == subject_key, Document.status == "done",
                                  Document.state != DocumentState.WITHDRAWN, Document.id > after_id)
        .order_by(Document.version.desc()).limit(1)
    )


@task("send_invitations")
def send_invitations(args: dict) -> dict:
    """The invitations milestone: one draft invitation (giấy mời, one register number each at issue) per
    addressee, rendered in chunks, and one email asking the Office to have them approved, signed and
    issued. Nothing reaches an invitee here: issuing sends each one the signed PDF with the calendar
    (issuing.deliver_issued); those without an email are listed for the document system
    (/quan-tri/hoi-nghi/<slug>/giay-moi).

    Per chunk: read what is missing and the contexts, commit; render with no transaction open; then
    one short write transaction records the drafts (checked again: a concurrent run keeps its own)."""
    svc = services()
    settings = svc.settings
    begin_read_only(db.session)
    conference = db.session.get(Conference, args["conference_id"])
    if conference is None:
        return {"skipped": "conference gone"}
    conference_id = conference.id
    after = args.get("after_document_id", 0)
    as_of = dt.datetime.fromisoformat(args["as_of"])
    domain = address_domain(settings.mail_default_sender)
    addressees = invitation_addressees(conference)
    total = len(addressees)
    rendered_now = skipped = no_email = 0
    report_progress(0, total)
    batch = settings.mail_batch_size
    for start in range(0, total, batch):
        chunk = addressees[start:start + batch]
        begin_read_only(db.session)
        todo = []  # (addressee, PreparedDocument)
        for addressee in chunk:
            no_email += not addressee.email
            if _rendered_invitation_id(conference_id, addressee.subject_key, after) is not None:
                skipped += 1
            else:
                todo.append((addressee, prepare_document(conference, "invitation", svc.rules, settings, as_of,
                                                         **addressee.subject)))
        db.session.commit()
        # Render: no transaction open, and no ORM object touched (a lazy load would open one).
        rendered: dict[str, RenderedDocument] = {}
        try:
            for addressee, prepared in todo:
                rendered[addressee.subject_key] = render_prepared(prepared, settings, pdf=False)
            for addressee, _ in todo:
                if _rendered_invitation_id(conference_id, addressee.subject_key, after) is not None:
                    skipped += 1  # another run of this task recorded it during our render
                    continue
                record_document(rendered.pop(addressee.subject_key))
                rendered_now += 1
            db.session.commit()
        finally:
            for leftover in rendered.values():
                leftover.discard()
        report_progress(start + len(chunk), total)
    office_mail = _queue_drafts_to_office(conference_id, args.get("cycle", 1), after, as_of=as_of, domain=domain)
    log.info("invitations conference=%s total=%s rendered=%s skipped=%s no_email=%s", conference.slug, total,
             rendered_now, skipped, no_email)
    return {"total": total, "rendered": rendered_now, "skipped": skipped, "no_email": no_email,
            "office_mail": office_mail}


def _queue_drafts_to_office(conference_id: int, cycle: int, after: int, *, as_of: dt.datetime,
                            domain: str) -> int | None:
    """One email asking the Office to have the draft invitations approved, signed and issued, naming
    those that go through the document system (no email). Keyed by the set of addressees and the date
    (cycle): a re-run sends nothing again, a list that grew (an invitee added later) is sent again."""
    from webforms.domain.invitation_dispatch import invitation_dispatch

    svc = services()
    conference = db.session.get(Conference, conference_id)
    report = invitation_dispatch(conference, after_document_id=after)
    keys = sorted(r.addressee.subject_key for r in report.rows if r.document is not None)
    if not keys:
        return None
    digest = hashlib.sha256(" ".join(keys).encode()).hexdigest()[:16]
    dedupe_key = f"invitations_to_issue:{conference_id}{'' if cycle == 1 else f'@{cycle}'}:{digest}"
    if _mail_exists(dedupe_key):
        db.session.rollback()
        return None
    by_hand = [{"name": r.addressee.name, "organisation": r.addressee.organisation} for r in report.by_hand]
    row = outbox.queue_template(
        "invitations_to_issue_to_office",
        {"conference": conference, "count": len(keys), "by_email": len(keys) - len(by_hand), "rows": by_hand,
         "now": as_of, "base_url": svc.settings.public_base_url},
        to=list(recipients_for(svc.rules).office), dedupe_key=dedupe_key, rules=svc.rules, message_domain=domain)
    db.session.commit()
    return row.id


@task("issue_invitations")
def issue_invitations(args: dict) -> dict:
    """Sign and issue the given approved invitations with the configured token, CONVERT_BATCH at a time,
    each batch in its own transaction (its numbers, PDFs, signatures, register lines and emails commit
    together; a failure rolls the batch back with its numbers). A re-run skips what is already issued."""
    from webforms.domain.audit import Actor, record
    from webforms.domain.documents.issuing import CONVERT_BATCH, issue_documents
    from webforms.domain.documents.signing import SigningConfig
    from webforms.timeutil import utcnow

    svc = services()
    config = SigningConfig.from_env()
    actor = Actor(kind="user", name=args.get("actor", ""), ip="")
    ids = list(args["document_ids"])
    issued: list[str] = []
    report_progress(0, len(ids))
    for start in range(0, len(ids), CONVERT_BATCH):
        db.session.commit()
        documents = [d for d in (db.session.get(Document, i) for i in ids[start:start + CONVERT_BATCH])
                     if d is not None and d.state == DocumentState.APPROVED]
        if documents:
            now = utcnow()
            for result in issue_documents(documents, svc.rules, svc.settings, now, config=config):
                record(actor, "document.issue", "document", str(result.document.id), now=now,
                       number=result.number_text, sha256=result.document.signed_sha256, uploaded=False)
                issued.append(result.number_text)
        db.session.commit()
        report_progress(min(start + CONVERT_BATCH, len(ids)), len(ids))
    log.info("invitations issued=%s first=%s last=%s", len(issued), issued[:1], issued[-1:])
    return {"issued": len(issued), "numbers": issued}
