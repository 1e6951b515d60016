"""Outbox tasks that render documents and mail them: `render_document` and `send_invitations`.

Both are idempotent through the outbox: a document's email has a dedupe key, and the render, the
Document row and the email row commit together, so a task run again after a crash (the sweep frees a
stale claim) skips what is already done and finishes the rest.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy import select

from webforms.domain import outbox
from webforms.domain.documents import generate_document
from webforms.domain.ics import conference_ics
from webforms.domain.invitations import invitation_addressees
from webforms.domain.mail import address_domain, compose
from webforms.domain.recipients import recipients_for
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


def _docx_attachment(document: Document) -> dict:
    return {"filename": Path(document.path).name, "content_type": DOCX, "document_id": document.id}


@task("render_document")
def render_document(args: dict) -> dict:
    """Render one document as of `as_of` and, when `mail` is given, email it as an attachment."""
    svc = services()
    conference = db.session.get(Conference, args["conference_id"])
    if conference is None:
        return {"skipped": "conference gone"}
    mail = args.get("mail")
    if mail and _mail_exists(mail["dedupe_key"]):
        return {"skipped": "already sent"}
    as_of = dt.datetime.fromisoformat(args["as_of"])
    # .docx only: the Office edits and signs them; a PDF batch conversion can follow later.
    document = generate_document(conference, args["kind"], svc.rules, svc.settings, as_of, pdf=False,
                                 **args.get("subject", {}))
    if mail:
        context = {"conference": conference, "document": document, "now": as_of,
                   "base_url": svc.settings.public_base_url, **mail.get("context", {})}
        composed = compose(mail["template"], context)
        outbox.queue_mail(to=mail["to"], cc=mail.get("cc", ()), subject=composed.subject, text=composed.text,
                          html=composed.html, dedupe_key=mail["dedupe_key"],
                          attachments=[_docx_attachment(document)],
                          message_domain=address_domain(svc.settings.mail_default_sender))
    db.session.commit()
    log.info("document conference=%s kind=%s version=%s document=%s", conference.slug, document.kind,
             document.version, document.id)
    return {"document_id": document.id}


def _invitation_document(conference: Conference, addressee, rules, settings, as_of: dt.datetime) -> Document:
    """The addressee's invitation: the one already rendered (a re-run after a crash), else a new one."""
    existing = db.session.scalar(
        select(Document).where(Document.conference_id == conference.id, Document.kind == "invitation",
                               Document.subject_key == addressee.subject_key, Document.status == "done")
        .order_by(Document.version.desc()).limit(1)
    )
    if existing is not None:
        return existing
    return generate_document(conference, "invitation", rules, settings, as_of, pdf=False, **addressee.subject)


@task("send_invitations")
def send_invitations(args: dict) -> dict:
    """One invitation per addressee (.docx + .ics), committed in chunks of one mail batch so each
    chunk goes out as one mail job; progress goes to the job's meta after each chunk."""
    svc = services()
    settings = svc.settings
    conference = db.session.get(Conference, args["conference_id"])
    if conference is None:
        return {"skipped": "conference gone"}
    as_of = dt.datetime.fromisoformat(args["as_of"])
    domain = address_domain(settings.mail_default_sender)
    ics = conference_ics(conference, domain=domain, organizer=parseaddr(settings.mail_default_sender)[1],
                         hours=recipients_for(svc.rules).event_hours, now=as_of)
    ics_attachment = {"filename": "hoi-nghi.ics", "content_type": "text/calendar",
                      "data_b64": base64.b64encode(ics).decode("ascii")}
    addressees = invitation_addressees(conference)
    total = len(addressees)
    queued = skipped = no_email = 0
    report_progress(0, total)
    for done, addressee in enumerate(addressees, start=1):
        dedupe_key = f"invitation:{conference.id}:{addressee.subject_key}"
        if not addressee.email:
            no_email += 1
        elif _mail_exists(dedupe_key):
            skipped += 1
        else:
            document = _invitation_document(conference, addressee, svc.rules, settings, as_of)
            composed = compose("invitation_to_invitee", {"conference": conference, "addressee": addressee,
                                                         "now": as_of, "base_url": settings.public_base_url})
            outbox.queue_mail(to=[addressee.email], subject=composed.subject, text=composed.text,
                              html=composed.html, dedupe_key=dedupe_key, message_domain=domain,
                              attachments=[_docx_attachment(document), ics_attachment])
            queued += 1
        if done % settings.mail_batch_size == 0 or done == total:
            db.session.commit()  # the chunk's documents and mails together; dispatched as one mail job
            report_progress(done, total)
    log.info("invitations conference=%s total=%s queued=%s skipped=%s no_email=%s", conference.slug, total,
             queued, skipped, no_email)
    return {"total": total, "queued": queued, "skipped": skipped, "no_email": no_email}
