"""Sending outbox emails: claim each row, send, mark it; one SMTP connection per batch.

The bytes come from the one composer (`webforms.domain.mail.mime_message`); Flask-Mail carries them: one
`Connection` (its `connect()`) per batch, `Connection.send` for each message, the MAIL_* settings that the
app factory gives Flask-Mail. Its own MIME builder is not used: it would fold the Date in the server's
local zone and name every part itself. bench/mail_bench.py measures this path against raw smtplib.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import socket
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from flask_mail import BadHeaderError, Connection
from flask_mail import Message as FlaskMailMessage

from webforms.domain import outbox
from webforms.domain.mail import mime_message, needs_smtputf8
from webforms.extensions import db
from webforms.models import Document
from webforms.services import services
from webforms.timeutil import utcnow
from workers.runtime import app_job

log = logging.getLogger("doithoai.mail")

# Worth another try later: the server or the network, not the message.
TRANSIENT = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, ConnectionError, OSError)
SMTP_TIMEOUT = 30


class TransientMailError(RuntimeError):
    """Raised so RQ retries the job with backoff; the rows say what went wrong."""


def build_message(row, sender: str, documents_dir: Path, timezone=None, now=None) -> EmailMessage:
    """The row's message as the composer makes it; `Date` is `now` (the sending moment) in the plan's zone."""
    if timezone is None:
        timezone = services().rules.plan.timezone
    return mime_message(row.payload, sender=sender, message_id=row.message_id, now=now or utcnow(),
                        timezone=timezone, attachment_bytes=lambda a: _attachment_bytes(a, documents_dir))


class ComposedMessage(FlaskMailMessage):
    """A Flask-Mail message whose bytes are the composer's EmailMessage. Flask-Mail's constructor is not run:
    it would make a Message-ID of its own (socket.getfqdn() per message) that is never sent."""

    def __init__(self, message: EmailMessage, sender: str):  # noqa: B027 - the parent is set up by hand
        self.composed = message
        self.sender = sender
        self.subject = str(message["Subject"])
        self.recipients = [a.addr_spec for a in message["To"].addresses]
        self.cc = [a.addr_spec for a in message["Cc"].addresses] if message["Cc"] else []
        self.bcc = []
        self.reply_to = None
        self.date = None
        self.mail_options, self.rcpt_options = [], []
        self.attachments, self.alts, self.extra_headers, self.charset = [], {}, None, None
        self.msgId = str(message["Message-ID"])

    def _message(self) -> EmailMessage:
        return self.composed


class TimedConnection(Connection):
    """Flask-Mail's connection with a timeout (Flask-Mail sets none: a silent server would hang the worker)."""

    def configure_host(self) -> smtplib.SMTP:
        mail = self.mail
        if mail.use_ssl:
            host = smtplib.SMTP_SSL(mail.server, mail.port, timeout=SMTP_TIMEOUT)
        else:
            host = smtplib.SMTP(mail.server, mail.port, timeout=SMTP_TIMEOUT)
            if mail.use_tls:
                host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


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
    timezone = svc.rules.plan.timezone
    connection: TimedConnection | None = None
    try:
        rows = outbox.claim_many(row_ids, utcnow())
        skipped = sorted(set(row_ids) - {r.id for r in rows})
        for row in rows:
            row_id = row.id
            try:
                message = build_message(row, settings.mail_default_sender, settings.resolved_documents_dir,
                                        timezone, utcnow())
                # End the read transaction before talking to SMTP: on SQLite it holds the write lock.
                db.session.commit()
            except (OSError, ValueError, KeyError) as exc:
                outbox.mark_failed(row, f"cannot build message: {exc}", utcnow())
                failed.append(row_id)
                continue
            try:
                if connection is None:
                    connection = _connect()
                _send(connection, ComposedMessage(message, settings.mail_default_sender))
            except (BadHeaderError, ValueError) as exc:  # serialised only now: a header the composer cannot write
                outbox.mark_failed(row, f"cannot build message: {type(exc).__name__}: {exc}", utcnow())
                failed.append(row_id)
                continue
            except smtplib.SMTPException as exc:
                if _is_permanent(exc):
                    outbox.mark_failed(row, f"refused: {exc}", utcnow())
                    failed.append(row_id)
                    log.warning("mail row=%s refused permanently: %s", row_id, exc)
                    continue
                _close(connection)
                connection = None
                (retry if outbox.mark_for_retry(row, f"{type(exc).__name__}: {exc}", utcnow(),
                                                settings.retry_intervals) else gave_up).append(row_id)
            except TRANSIENT as exc:
                _close(connection)
                connection = None
                (retry if outbox.mark_for_retry(row, f"{type(exc).__name__}: {exc}", utcnow(),
                                                settings.retry_intervals) else gave_up).append(row_id)
            else:
                outbox.mark_done(row, utcnow())
                sent.append(row_id)
                log.info("mail row=%s sent to=%s message_id=%s", row_id, message["To"], message["Message-ID"])
    finally:
        _close(connection)
    result = {"sent": sent, "skipped": skipped, "failed": failed, "retry": retry, "gave_up": gave_up}
    if retry or gave_up:
        # RQ retries the job with backoff (rows already sent are skipped), and after the last
        # attempt keeps it in the FailedJobRegistry; the rows hold the errors for staff.
        raise TransientMailError(f"transient SMTP failure: {result}")
    return result


def _send(connection: TimedConnection, message: ComposedMessage) -> None:
    """`Connection.send`, except for an address with a non-ASCII local part: Flask-Mail's address sanitizer
    cannot encode one (formataddr refuses it), so that message goes over the same connection with SMTPUTF8,
    as smtplib's send_message would send it."""
    if not needs_smtputf8(message.composed):
        connection.send(message)
        return
    envelope_to = [*message.recipients, *message.cc]
    connection.host.sendmail(parseaddr(message.sender)[1], envelope_to, message.composed.as_bytes(),
                             ["SMTPUTF8", "BODY=8BITMIME"])


def _connect() -> TimedConnection:
    """One SMTP connection for the batch, through Flask-Mail (its `connect()`, with a timeout)."""
    connection = TimedConnection(current_app.extensions["mail"])
    connection.__enter__()
    if connection.host is None:  # MAIL_SUPPRESS_SEND: sending nothing would mark every row sent
        raise RuntimeError("Flask-Mail is configured not to send (MAIL_SUPPRESS_SEND)")
    return connection


def _close(connection: TimedConnection | None) -> None:
    if connection is None or connection.host is None:
        return
    try:
        connection.host.quit()
    except (smtplib.SMTPException, OSError):
        connection.host.close()
