"""Approve, issue, replace and withdraw documents (Decree 30/2020 arts. 10-16 and 26).

Approving the content and issuing are separate acts. `issue_document`, in the caller's transaction:
1. gives the document the next number of the outgoing register (register.allocate_number);
2. either checks the PDF signed elsewhere (`signed_pdf`, signing.validate_signed_pdf) or renders the
   document again with its number and issue date printed in ("Số: 15/BQL-QHXD", "Hải Phòng, ngày 05 tháng
   01 năm 2027"), converts it to PDF and signs it with the configured token, with a QR code to its public
   verification page in the signature box;
3. stores the signed PDF, records the register line, marks an earlier issue of the same document
   replaced.
Anything failing raises before the caller commits: the rollback takes the number back with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from config.rules import Rules
from config.settings import Settings
from webforms.domain.documents import register
from webforms.domain.documents.config import template_path
from webforms.domain.documents.generate import convert_to_pdf
from webforms.domain.documents.render import QRCode, render_docx
from webforms.domain.documents.signing import SigningConfig, SigningError, token_signer, validate_signed_pdf
from webforms.extensions import db
from webforms.formatting import vn_date_long
from webforms.models import Document, DocumentState, RegisterEntry
from webforms.unit_of_work import remove_on_rollback

# Snapshot keys that held a QRCode before the snapshot was stored as JSON.
_QR_KEYS = ("qr_code", "checkin_qr")
VERIFY_PATH = "/xac-thuc/{code}"
# Files per LibreOffice run: one run for 300 files left some unconverted in the bench (bench/issuing_bench.py).
CONVERT_BATCH = 50


class IssueRefused(Exception):
    """The document cannot be issued; the message says why in one line (Vietnamese)."""


@dataclass(frozen=True)
class IssueResult:
    document: Document
    number_text: str
    mailed: bool = False  # the issued PDF was queued to the recipients with an email address


def verify_url(settings: Settings, code: str) -> str:
    return settings.public_base_url.rstrip("/") + VERIFY_PATH.format(code=code)


def symbol_of(document: Document) -> str:
    """The symbol the draft was rendered with ("BQL-QHXD" of "      /BQL-QHXD"): the kind's and the
    drafting unit's, as config/documents.yaml gives them."""
    doc_number = str((document.snapshot or {}).get("doc_number", ""))
    return doc_number.split("/", 1)[1].strip() if "/" in doc_number else ""


def summary_of(document: Document) -> str:
    """The trích yếu for the register line."""
    snapshot = document.snapshot or {}
    rec = snapshot.get("recommendation") or {}
    if document.kind == "reply_letter" and rec:
        enterprise = (snapshot.get("enterprise") or {}).get("name", "")
        return f"V/v trả lời kiến nghị {rec.get('code', '')} của {enterprise}".strip()
    return str((snapshot.get("conference") or {}).get("title", ""))


def approve_document(document: Document) -> Document:
    """The content is approved (duyệt dự thảo): it may now be signed and issued."""
    document.move_to(DocumentState.APPROVED)
    return document


def _issued_context(document: Document, number_text: str, now: dt.datetime, rules: Rules) -> dict:
    context = dict(document.snapshot or {})
    for key in _QR_KEYS:
        if isinstance(context.get(key), str):
            context[key] = QRCode(context[key])
    context["doc_number"] = number_text
    context["date_line"] = vn_date_long(now, place=rules.plan.agency.place)
    return context


def _render_issued_pdfs(
    items: list[tuple[Document, str]], now: dt.datetime, rules: Rules, settings: Settings
) -> list[bytes]:
    """Each (document, number text) rendered again with its number and `now`'s date, converted to PDF by
    LibreOffice runs of CONVERT_BATCH files (starting soffice is most of a conversion's cost)."""
    with tempfile.TemporaryDirectory(prefix="doithoai-issue-") as folder:
        paths = []
        for index, (document, number_text) in enumerate(items):
            data = render_docx(template_path(document.kind), _issued_context(document, number_text, now, rules))
            path = Path(folder) / f"issued-{index}.docx"
            path.write_bytes(data)
            paths.append(path)
        pdfs = []
        for start in range(0, len(paths), CONVERT_BATCH):
            chunk = paths[start:start + CONVERT_BATCH]
            pdfs.extend(convert_to_pdf(chunk, timeout=settings.soffice_timeout + 2 * len(chunk)))
        if any(pdf is None for pdf in pdfs):
            raise IssueRefused("Không chuyển được văn bản sang PDF (cần LibreOffice trên máy chủ).")
        return [pdf.read_bytes() for pdf in pdfs]  # type: ignore[union-attr]


def _store(document: Document, data: bytes, settings: Settings, name: str) -> str:
    """`data` written once under the document's folder (never over a file); removed if the transaction
    rolls back. Returns the path relative to DOCUMENTS_DIR."""
    folder_rel = document.path.rsplit("/", 1)[0] if "/" in document.path else document.conference.slug
    folder = settings.resolved_documents_dir / folder_rel
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    with target.open("xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    remove_on_rollback(target)
    return f"{folder_rel}/{name}"


def _check_issuable(document: Document) -> str:
    if document.state != DocumentState.APPROVED:
        raise IssueRefused(f"Văn bản {document.id} đang ở trạng thái '{document.state}', chưa được duyệt để ban hành.")
    symbol = symbol_of(document)
    if not symbol:
        raise IssueRefused(f"Văn bản {document.id} không có ký hiệu (doc_number) để vào sổ.")
    return symbol


_NOT_CONFIGURED = "Chưa cấu hình thiết bị ký số (SIGNING_PKCS11_MODULE); hãy tải lên tệp đã ký (--signed-file)."


def issue_document(
    document: Document,
    rules: Rules,
    settings: Settings,
    now: dt.datetime,
    *,
    signed_pdf: bytes | None = None,
    config: SigningConfig | None = None,
) -> IssueResult:
    """Issue an approved document now (see the module); the caller commits, or rolls back on an error."""
    config = config or SigningConfig.from_env()
    if signed_pdf is None:
        (result,) = issue_documents([document], rules, settings, now, config=config)
        return result
    symbol = _check_issuable(document)
    # Checked before a number is taken: a refused file never holds the register's lock.
    check = validate_signed_pdf(signed_pdf, config)
    if not check.valid:
        raise IssueRefused(f"Tệp đã ký không hợp lệ: {check.reason}")
    agency, year = register.agency_code(rules), register.register_year(now, rules)
    number = register.allocate_number(agency, year)
    return _record_issue(document, symbol, agency, year, number, signed_pdf, check.signer, secrets.token_urlsafe(9),
                         now, rules, settings)


def issue_documents(
    documents: list[Document],
    rules: Rules,
    settings: Settings,
    now: dt.datetime,
    *,
    config: SigningConfig | None = None,
) -> list[IssueResult]:
    """Issue approved documents signed with the configured token, in the caller's transaction: consecutive
    numbers in the given order, one LibreOffice run for all, one token session. A failure rolls them all
    back with their numbers (the caller rolls back)."""
    config = config or SigningConfig.from_env()
    symbols = [_check_issuable(document) for document in documents]
    if config.token is None:
        raise IssueRefused(_NOT_CONFIGURED)
    agency, year = register.agency_code(rules), register.register_year(now, rules)
    numbers = [register.allocate_number(agency, year) for _ in documents]
    texts = [f"{number:02d}/{symbol}" for number, symbol in zip(numbers, symbols, strict=True)]
    issued_on = now.astimezone(rules.plan.timezone).date()
    results = []
    try:
        with token_signer(config) as sign:  # opened first: a wrong PIN fails before any rendering
            unsigned = _render_issued_pdfs(list(zip(documents, texts, strict=True)), now, rules, settings)
            for document, symbol, number, text, pdf in zip(documents, symbols, numbers, texts, unsigned, strict=True):
                code = secrets.token_urlsafe(9)
                signed = sign(
                    pdf, reason=f"Ban hành văn bản số {text}", url=verify_url(settings, code),
                    stamp_text=f"Ký bởi: %(signer)s\nSố: {text}\nNgày: {issued_on:%d/%m/%Y}\nXác thực: %(url)s",
                )
                signer = str(((document.snapshot or {}).get("signer") or {}).get("name", ""))
                results.append(_record_issue(document, symbol, agency, year, number, signed, signer, code, now,
                                             rules, settings))
    except SigningError as exc:
        raise IssueRefused(str(exc)) from exc
    return results


def _record_issue(
    document: Document, symbol: str, agency: str, year: int, number: int, signed_pdf: bytes, signer: str, code: str,
    now: dt.datetime, rules: Rules, settings: Settings,
) -> IssueResult:
    number_text = f"{number:02d}/{symbol}"
    sha256 = hashlib.sha256(signed_pdf).hexdigest()
    stem = Path(document.path).stem or f"{document.kind}-{document.id}"
    path = _store(document, signed_pdf, settings, f"{stem}-so-{number:02d}-{year}.pdf")

    document.move_to(DocumentState.SIGNED)
    document.move_to(DocumentState.ISSUED)
    document.number = number
    document.symbol = symbol
    document.issued_at = now
    document.issued_on = now.astimezone(rules.plan.timezone).date()
    document.signer = signer
    document.signed_path = path
    document.signed_sha256 = sha256
    document.verify_code = code
    db.session.flush()
    for earlier in db.session.scalars(
        select(Document).where(
            Document.conference_id == document.conference_id,
            Document.kind == document.kind,
            Document.subject_key == document.subject_key,
            Document.state == DocumentState.ISSUED,
            Document.id != document.id,
        )
    ):
        earlier.move_to(DocumentState.REPLACED)
        earlier.replaced_by_id = document.id
    db.session.add(
        RegisterEntry(
            agency=agency,
            year=year,
            number=number,
            symbol=symbol,
            kind=document.kind,
            issued_on=document.issued_on,
            summary=summary_of(document),
            signer=signer,
            sha256=sha256,
            recipients=list((document.snapshot or {}).get("recipients") or []),
            document_id=document.id,
            state="issued",
        )
    )
    db.session.flush()
    mailed = deliver_issued(document, rules, settings)
    return IssueResult(document, number_text, mailed)


def deliver_issued(document: Document, rules: Rules, settings: Settings) -> bool:
    """Send the issued document to its recipients with an email address (the outbox, same transaction).

    A reply letter goes to the enterprise with the answer (replies.send_issued_answer). Other kinds are
    listed in the register for dispatch through the document system; their PDF is downloadable.
    """
    if document.kind == "invitation":
        return _deliver_invitation(document, rules, settings)
    if document.kind == "conference_notice":
        return _deliver_conference_notice(document, rules, settings)
    if document.kind == "reply_letter" and document.subject_key.startswith("rec:"):
        from webforms.domain.replies import send_issued_answer
        from webforms.models import Recommendation

        code = document.subject_key.removeprefix("rec:")
        recommendation = db.session.scalar(select(Recommendation).where(Recommendation.code == code))
        if recommendation is not None:
            return send_issued_answer(recommendation, document, rules=rules, settings=settings)
    return False


def withdraw_document(document: Document, reason: str) -> Document:
    """Withdraw a document (thu hồi) with a reason; an issued one's register line says so too."""
    reason = reason.strip()
    if not reason:
        raise IssueRefused("Cần nêu lý do thu hồi.")
    document.withdrawn_reason = reason[:1000]
    document.move_to(DocumentState.WITHDRAWN)
    entry = db.session.scalar(select(RegisterEntry).where(RegisterEntry.document_id == document.id))
    if entry is not None:
        entry.state = "withdrawn"
        entry.reason = reason[:1000]
    db.session.flush()
    return document


def find_by_verify_code(code: str) -> Document | None:
    return db.session.scalar(select(Document).where(Document.verify_code == code))


def find_by_sha256(sha256: str) -> Document | None:
    return db.session.scalar(select(Document).where(Document.signed_sha256 == sha256.lower()))


def _deliver_invitation(document: Document, rules: Rules, settings: Settings) -> bool:
    """An issued invitation to its invitee or registered enterprise, when it has an email address: the
    signed PDF under a Vietnamese name and the conference's calendar file. Without an address it is
    listed for the document system (invitation_dispatch), with the PDF to download."""
    import base64
    from email.utils import parseaddr

    from webforms.domain import outbox
    from webforms.domain.ics import conference_ics
    from webforms.domain.invitation_dispatch import issued_mail_key
    from webforms.domain.invitations import invitation_addressees
    from webforms.domain.mail import address_domain
    from webforms.domain.recipients import recipients_for

    conference = document.conference
    addressee = next((a for a in invitation_addressees(conference) if a.subject_key == document.subject_key), None)
    if addressee is None or not addressee.email:
        return False
    domain = address_domain(settings.mail_default_sender)
    ics = conference_ics(conference, domain=domain, organizer=parseaddr(settings.mail_default_sender)[1],
                         hours=recipients_for(rules).event_hours, now=document.issued_at)
    outbox.queue_template(
        "invitation_to_invitee",
        {"conference": conference, "addressee": addressee, "document": document, "now": document.issued_at,
         "base_url": settings.public_base_url},
        to=[addressee.email],
        dedupe_key=issued_mail_key(conference.id, document.subject_key, document.id),
        rules=rules,
        message_domain=domain,
        attachments=[
            {"filename": invitation_file_name(document), "content_type": "application/pdf",
             "path": str(settings.resolved_documents_dir / document.signed_path)},
            {"filename": "hoi-nghi.ics", "content_type": "text/calendar",
             "data_b64": base64.b64encode(ics).decode("ascii")},
        ],
    )
    return True


def _deliver_conference_notice(document: Document, rules: Rules, settings: Settings) -> bool:
    """The issued notice of a postponement or cancellation to everyone concerned with an email address."""
    from webforms.domain import outbox
    from webforms.domain.conference_admin import people_concerned
    from webforms.domain.documents.notices import issued_notice_name
    from webforms.domain.mail import AddressError, address_domain, checked_address

    attachment = {"filename": issued_notice_name(document), "content_type": "application/pdf",
                  "path": str(settings.resolved_documents_dir / document.signed_path)}
    sent = 0
    for person in people_concerned(document.conference):
        try:
            address = checked_address(person.email)
        except AddressError:
            continue
        outbox.queue_template(
            "conference_notice_issued_to_participant",
            {"conference": document.conference, "document": document, "recipient_name": person.name,
             "recipient_tax_code": person.tax_code,
             "change": document.subject_key.split(":", 1)[0], "now": document.issued_at,
             "base_url": settings.public_base_url},
            to=[address], dedupe_key=f"conference-notice-issued:{document.id}:{address.lower()}"[:200],
            rules=rules, message_domain=address_domain(settings.mail_default_sender), attachments=[attachment])
        sent += 1
    return sent > 0


def invitation_file_name(document: Document) -> str:
    """"Giay-moi-so-05-2027.pdf": the issued invitation's number and year, no internal id."""
    return f"Giay-moi-so-{document.number:02d}-{document.issued_on.year}.pdf"


def issued_reply_letters(codes: list[str]) -> dict[str, Document]:
    """The reply letter in force (issued) of each recommendation code that has one."""
    if not codes:
        return {}
    rows = db.session.scalars(
        select(Document).where(
            Document.kind == "reply_letter",
            Document.state == DocumentState.ISSUED,
            Document.subject_key.in_([f"rec:{code}" for code in codes]),
        )
    )
    return {row.subject_key.removeprefix("rec:"): row for row in rows}
