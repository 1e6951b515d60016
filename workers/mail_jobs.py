"""Sending outbox emails: claim each row, send, mark it; one SMTP connection per batch.

Messages are built with the standard library's EmailMessage and sent with smtplib over one
reused connection: Flask-Mail opens a connection per message and builds slower (268 msg/s against
1021 for a reused smtplib connection, shared/reference/limits.md), and bulk invitations need the
latter. The same MAIL_* settings configure both.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import socket
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from webforms.domain import outbox
from webforms.extensions import db
from webforms.models import Document
from webforms.services import services
from webforms.timeutil import utcnow
from workers.runtime import app_job

log = logging.getLogger("doithoai.mail")

# Worth another try later: the server or the network, not the message.
TRANSIENT = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, ConnectionError, OSError)


class TransientMailError(RuntimeError):
    """Raised so RQ retries the job with backoff; the rows say what went wrong."""


def build_message(row, sender: str, documents_dir: Path) -> EmailMessage:
    p = row.payload
    message = EmailMessage()
    message["Subject"] = p["subject"]
    message["From"] = sender
    message["To"] = ", ".join(p["to"])
    if p.get("cc"):
        message["Cc"] = ", ".join(p["cc"])
    if p.get("reply_to"):
        message["Reply-To"] = p["reply_to"]
    message["Message-ID"] = row.message_id
    message["Date"] = formatdate(localtime=False)
    message.set_content(p["text"])
    if p.get("html"):
        message.add_alternative(p["html"], subtype="html")
    for attachment in p.get("attachments", ()):
        data = _attachment_bytes(attachment, documents_dir)
        maintype, _, subtype = attachment.get("content_type", "application/octet-stream").partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment["filename"])
    return message


def _attachment_bytes(attachment: dict, documents_dir: Path) -> bytes:
    if "data_b64" in attachment:  # small generated files (an .ics) travel inside the row
        return base64.b64decode(attachment["data_b64"])
    if "document_id" in attachment:
        document = db.session.get(Document, attachment["document_id"])
        if document is None or not document.path:
            raise FileNotFoundError(f"document {attachment['document_id']} has no file")
        return (documents_dir / (document.pdf_path if attachment.get("pdf") else document.path)).read_bytes()
    return Path(attachment["path"]).read_bytes()


def _is_permanent(exc: smtplib.SMTPException) -> bool:
    code = getattr(exc, "smtp_code", None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    return code is not None and 500 <= code < 600


@app_job
def send_outbox_messages(row_ids: Sequence[int]) -> dict:
    """Send each pending row over one connection. Rows already sent or taken are skipped."""
    svc = services()
    settings = svc.settings
    sent, skipped, failed, retry, gave_up = [], [], [], [], []
    smtp: smtplib.SMTP | None = None
    try:
        rows = outbox.claim_many(row_ids, utcnow())
        skipped = sorted(set(row_ids) - {r.id for r in rows})
        for row in rows:
            row_id = row.id
            try:
                message = build_message(row, settings.mail_default_sender, settings.resolved_documents_dir)
                # End the read transaction before talking to SMTP: on SQLite it holds the write lock.
                db.session.commit()
            except (OSError, ValueError, KeyError) as exc:
                outbox.mark_failed(row, f"cannot build message: {exc}", utcnow())
                failed.append(row_id)
                continue
            try:
                if smtp is None:
                    smtp = _connect(settings)
                smtp.send_message(message)
            except smtplib.SMTPException as exc:
                if _is_permanent(exc):
                    outbox.mark_failed(row, f"refused: {exc}", utcnow())
                    failed.append(row_id)
                    log.warning("mail row=%s refused permanently: %s", row_id, exc)
                    continue
                _close(smtp)
                smtp = None
                (retry if outbox.mark_for_retry(row, f"{type(exc).__name__}: {exc}", utcnow(),
                                                settings.retry_intervals) else gave_up).append(row_id)
            except TRANSIENT as exc:
                _close(smtp)
                smtp = None
                (retry if outbox.mark_for_retry(row, f"{type(exc).__name__}: {exc}", utcnow(),
                                                settings.retry_intervals) else gave_up).append(row_id)
            else:
                outbox.mark_done(row, utcnow())
                sent.append(row_id)
                log.info("mail row=%s sent to=%s message_id=%s", row_id, message["To"], message["Message-ID"])
    finally:
        _close(smtp)
    result = {"sent": sent, "skipped": skipped, "failed": failed, "retry": retry, "gave_up": gave_up}
    if retry or gave_up:
        # RQ retries the job with backoff (rows already sent are skipped), and after the last
        # attempt keeps it in the FailedJobRegistry; the rows hold the errors for staff.
        raise TransientMailError(f"transient SMTP failure: {result}")
    return result


def _connect(settings) -> smtplib.SMTP:
    host, port = settings.smtp_host, settings.mail_port
    if settings.mail_use_ssl:
        smtp = smtplib.SMTP_SSL(host, port, timeout=30)
    else:
        smtp = smtplib.SMTP(host, port, timeout=30)
        if settings.mail_use_tls:
            smtp.starttls()
    if settings.mail_username:
        smtp.login(settings.mail_username, settings.mail_password)
    return smtp


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
