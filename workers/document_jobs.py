"""Outbox tasks that render documents and mail them: `render_document` and `send_invitations`.

Both are idempotent through the outbox: a document's email has a dedupe key, and the Document row and
the email row commit together, so a task run again after a crash (the sweep frees a stale claim)
skips what is already done and finishes the rest.

Each render runs with no transaction open (on SQLite any transaction holds the write lock, so a
render inside one would stop every other worker): read and commit, render, then one short write
transaction that checks again that the email is not already there, records the Document and queues
the email.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
from email.utils import parseaddr

from sqlalchemy import select

from webforms.domain import outbox
from webforms.domain.documents import (
    RenderedDocument,
    prepare_document,
    record_document,
    render_outside_transaction,
    render_prepared,
)
from webforms.domain.ics import conference_ics
from webforms.domain.invitations import invitation_addressees
from webforms.domain.mail import address_domain, document_file_name
from webforms.domain.recipients import recipients_for
from webforms.domain.sql import begin_read_only
from webforms.extensions import db
from webforms.models import Conference, Document, OutboxMessage
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
                                    message_domain=address_domain(svc.settings.mail_default_sender))
        _require_own_mail(row, document)
    db.session.commit()
    log.info("document conference=%s kind=%s version=%s document=%s", conference.slug, document.kind,
             document.version, document.id)
    return {"document_id": document.id}


def _rendered_invitation_id(conference_id: int, subject_key: str, after_id: int = 0) -> int | None:
    """The addressee's invitation already rendered (a re-run after a crash), if any; only documents
    after `after_id` count (those before it were for an earlier date of the conference)."""
    return db.session.scalar(
        select(Document.id).where(Document.conference_id == conference_id, Document.kind == "invitation",
                                  Document.subject_key == subject_key, Document.status == "done",
                                  Document.id > after_id)
        .order_by(Document.version.desc()).limit(1)
    )


@task("send_invitations")
def send_invitations(args: dict) -> dict:
    """One invitation per addressee (.docx + .ics), committed in chunks of one mail batch so each
    chunk goes out as one mail job; progress goes to the job's meta after each chunk.

    Per chunk: read what is missing and the contexts, commit; render with no transaction open; then
    one short write transaction records the documents and queues the mails."""
    svc = services()
    settings = svc.settings
    begin_read_only(db.session)
    conference = db.session.get(Conference, args["conference_id"])
    if conference is None:
        return {"skipped": "conference gone"}
    conference_id = conference.id
    as_of = dt.datetime.fromisoformat(args["as_of"])
    domain = address_domain(settings.mail_default_sender)
    ics = conference_ics(conference, domain=domain, organizer=parseaddr(settings.mail_default_sender)[1],
                         hours=recipients_for(svc.rules).event_hours, now=as_of)
    ics_attachment = {"filename": "hoi-nghi.ics", "content_type": "text/calendar",
                      "data_b64": base64.b64encode(ics).decode("ascii")}
    addressees = invitation_addressees(conference)
    total = len(addressees)
    queued = skipped = no_email = 0
    by_hand: list[tuple] = []  # (addressee, Document id) of those without an email
    report_progress(0, total)
    batch = settings.mail_batch_size
    for start in range(0, total, batch):
        chunk = addressees[start:start + batch]
        # Read: who still needs an invitation, and the context of each one not rendered yet.
        begin_read_only(db.session)
        todo: list[tuple] = []  # (addressee, dedupe key, existing Document id or PreparedDocument)
        for addressee in chunk:
            # Each date of the conference (cycle) has its own invitations; cycle 1 keeps the old keys.
            cycle = args.get("cycle", 1)
            dedupe_key = f"invitation:{conference_id}{'' if cycle == 1 else f'@{cycle}'}:{addressee.subject_key}"
            if not addressee.email:
                # Rendered too: the Office sends it through the document system or by hand.
                no_email += 1
                existing = _rendered_invitation_id(conference_id, addressee.subject_key)
                todo.append((addressee, None, existing if existing is not None else prepare_document(
                    conference, "invitation", svc.rules, settings, as_of, **addressee.subject)))
            elif _mail_exists(dedupe_key):
                skipped += 1
            else:
                existing = _rendered_invitation_id(conference_id, addressee.subject_key,
                                                   args.get("after_document_id", 0))
                todo.append((addressee, dedupe_key, existing if existing is not None else prepare_document(
                    conference, "invitation", svc.rules, settings, as_of, **addressee.subject)))
        db.session.commit()
        # Render: no transaction open, and no ORM object touched (a lazy load would open one).
        rendered: dict[str, RenderedDocument] = {}
        try:
            for addressee, dedupe_key, document in todo:
                if not isinstance(document, int):
                    rendered[dedupe_key or addressee.subject_key] = render_prepared(document, settings, pdf=False)
            # Write: the chunk's documents and mails together; dispatched as one mail job.
            for addressee, dedupe_key, document in todo:
                if dedupe_key is None:
                    by_hand.append((addressee, _record_by_hand(conference_id, addressee, document, rendered)))
                    continue
                if _mail_exists(dedupe_key):
                    skipped += 1  # another run of this task queued it during our render
                    continue
                if dedupe_key in rendered:
                    document = record_document(rendered[dedupe_key])
                else:
                    document = db.session.get(Document, document)
                row = outbox.queue_template("invitation_to_invitee",
                                            {"conference": conference, "addressee": addressee, "now": as_of,
                                             "base_url": settings.public_base_url},
                                            to=[addressee.email], dedupe_key=dedupe_key, message_domain=domain,
                                            attachments=[_docx_attachment(document), ics_attachment])
                _require_own_mail(row, document)
                queued += 1
            db.session.commit()
        finally:
            for leftover in rendered.values():
                leftover.discard()
        report_progress(start + len(chunk), total)
    office_mail = _queue_by_hand_to_office(conference, by_hand, as_of=as_of, domain=domain) if by_hand else None
    log.info("invitations conference=%s total=%s queued=%s skipped=%s no_email=%s", conference.slug, total,
             queued, skipped, no_email)
    return {"total": total, "queued": queued, "skipped": skipped, "no_email": no_email, "by_hand_mail": office_mail}


def _record_by_hand(conference_id: int, addressee, document, rendered: dict) -> int:
    """The invitation of an addressee without an email: recorded once (a run that lost the race to
    another one keeps the other's document), never mailed to them."""
    if isinstance(document, int):
        return document
    existing = _rendered_invitation_id(conference_id, addressee.subject_key)
    if existing is not None:
        return existing
    return record_document(rendered[addressee.subject_key]).id


def _queue_by_hand_to_office(conference: Conference, by_hand: list, *, as_of: dt.datetime, domain: str) -> int | None:
    """One email to the Office listing the invitations to send through the document system or by
    hand, each attached. Keyed by the set of addressees: a re-run sends nothing again, a list that
    grew (an invitee added later) is sent again in full."""
    svc = services()
    keys = sorted(addressee.subject_key for addressee, _ in by_hand)
    dedupe_key = f"invitations_by_hand:{conference.id}:{hashlib.sha256(' '.join(keys).encode()).hexdigest()[:16]}"
    if _mail_exists(dedupe_key):
        db.session.rollback()
        return None
    documents = [db.session.get(Document, document_id) for _, document_id in by_hand]
    rows = [{"name": addressee.name, "organisation": addressee.organisation, "file": _attachment_name(document)}
            for (addressee, _), document in zip(by_hand, documents, strict=True)]
    row = outbox.queue_template(
        "invitations_by_hand_to_office",
        {"conference": conference, "rows": rows, "now": as_of, "base_url": svc.settings.public_base_url},
        to=list(recipients_for(svc.rules).office), dedupe_key=dedupe_key, message_domain=domain,
        attachments=[{**_docx_attachment(d), "filename": _attachment_name(d)} for d in documents])
    db.session.commit()
    return row.id


def _attachment_name(document: Document) -> str:
    from webforms.domain.admin_queries import download_name

    return download_name(document)
