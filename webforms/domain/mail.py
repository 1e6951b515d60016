"""The one composer of every email: the words (`compose`) and the bytes handed to the SMTP server (`mime_message`).

- `compose` renders `emails/<event>_to_<recipient>.{txt,html}`: the .txt template defines `{% block subject %}`
  and `{% block body %}`, the .html one extends `emails/base.html`. Every message gets the agency of the plan
  (`agency`) and the sender block (`sender`: the consolidating unit, the agency, its phone and email) from the
  rules; the closing and the sender block are the templates `emails/_closing.{txt,html}`, added here once so no
  template repeats or forgets them.
- `mime_message` builds the MIME message from an outbox row: `Date` in the plan's time zone (+0700), the row's
  Message-ID (on the sender's domain, `outbox.new_message_id`), an .ics part as
  `text/calendar; method=…; charset=utf-8`. Headers are folded by `ComposerPolicy`: Python 3.11's RFC 2047
  folding leaves the space between two encoded-words outside both, where every reader drops it
  ("thamdự"; CPython gh-144156). Here every space stays inside an encoded-word.
- Subjects pass through `header_safe`, addresses through `checked_address`: no user text reaches a header with
  a line break in it.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.headerregistry import Address, AddressHeader, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask_babel import force_locale

from webforms.domain.text import clean_text

SUBJECT_MAX = 200
DISPLAY_NAME_MAX = 120
# RFC 2047 §2: an encoded-word is at most 75 characters. Base64 of 42 bytes is 56 characters, plus the
# 12 of "=?utf-8?b?…?=": 68, so a whole UTF-8 character (up to 4 bytes) always fits after 39 bytes.
_EW_BYTES = 42


class AddressError(ValueError):
    pass


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class SenderBlock:
    """Who signs every email: the consolidating unit of the plan, its agency, phone and email (rules)."""

    unit: str
    agency: str
    phone: str
    email: str


def header_safe(value: str, max_length: int = SUBJECT_MAX) -> str:
    """One line, no control characters, bounded: safe to place in a mail header."""
    text = clean_text(value)
    return text if len(text) <= max_length else text[: max_length - 1] + "…"


def display_name_safe(value: str) -> str:
    """A display name for a header: `header_safe`, one space between words (Python's address parser reads a run
    of spaces as one), at most DISPLAY_NAME_MAX characters."""
    return header_safe(" ".join(clean_text(value).split()), DISPLAY_NAME_MAX)


def checked_address(value: str) -> str:
    """A syntactically valid address, normalised, or AddressError. The display name is kept, cleaned and
    bounded, in plain Unicode ("Nguyễn Văn An <an@example.vn>"): `mime_message` encodes it."""
    if any(c in value for c in "\r\n\x00"):
        raise AddressError("line break in address")
    name, address = split_address(value)
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(str(exc)) from exc
    normalized = valid.normalized
    name = display_name_safe(name)
    username, _, domain = normalized.rpartition("@")  # addr_spec= would refuse a non-ASCII local part
    return str(Address(display_name=name, username=username, domain=domain)) if name else normalized


def split_address(value: str) -> tuple[str, str]:
    """(display name, address) of "Name <a@b>"; a name stored RFC 2047-encoded (older rows) is decoded."""
    name, address = parseaddr(value)
    if "=?" in name:
        name = str(make_header(decode_header(name)))
    return name, address


def address_domain(value: str) -> str:
    return Address(addr_spec=parseaddr(value)[1]).domain


def sender_block(rules) -> SenderBlock:
    unit = rules.consolidating_department
    return SenderBlock(unit=unit.name, agency=rules.plan.agency.short_name, phone=getattr(unit, "phone", ""),
                       email=unit.emails[0] if unit.emails else "")


# How to reach the Jinja environment the email templates are rendered with: the app's (its loader, Flask-Babel's
# gettext), given by the composition root (webforms/app.py, use_templates).
_TEMPLATES: list[Callable] = []


def use_templates(environment: Callable) -> None:
    """Set the callable that returns the Jinja environment of the email templates; called when the app is built."""
    _TEMPLATES[:] = [environment]


def _templates():
    if not _TEMPLATES:
        raise LookupError("no email templates: mail.use_templates was not called")
    return _TEMPLATES[0]()


def sender_domain(settings) -> str:
    """The domain of the sender's address (MAIL_DEFAULT_SENDER): the Message-IDs' domain."""
    return address_domain(settings.mail_default_sender)


def compose(template: str, context: dict, rules) -> Composed:
    """Render `emails/<template>.txt` (subject and body blocks) and `emails/<template>.html`, in Vietnamese
    whatever language the page that caused the email was read in, each ended by `emails/_closing`."""
    # `agency` is the plan's unless the caller means another one (the coordinating agency of
    # coordination_input_to_department); the sender block is always the rules'.
    context = {"consolidating": rules.consolidating_department, "agency": rules.plan.agency, **context,
               "sender": sender_block(rules)}
    env = _templates()
    with force_locale("vi"):
        text_template = env.get_template(f"emails/{template}.txt")
        ctx = text_template.new_context(dict(context))
        subject = header_safe("".join(text_template.blocks["subject"](ctx)))
        body = "".join(text_template.blocks["body"](ctx)).strip()
        closing = env.get_template("emails/_closing.txt").render(**context).strip()
        text = f"{body}\n\n{closing}\n"
        html = env.get_template(f"emails/{template}.html").render(**context)
    return Composed(subject=subject, text=text, html=html)


def ascii_file_name(title: str, extension: str, max_length: int = 100) -> str:
    """"Giấy mời Hội nghị đối thoại doanh nghiệp năm 2026" -> "Giay-moi-Hoi-nghi-doi-thoai-doanh-nghiep-nam-2026.docx":
    Vietnamese words without their marks, which every mail client and file system shows alike."""
    text = unicodedata.normalize("NFKD", title.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-.")[:max_length].rstrip("-.")
    return f"{text or 'tep'}.{extension}"


def document_file_name(document, conference) -> str:
    """The name an emailed document goes out under: its kind and the conference (emails/_file_name.txt)."""
    env = _templates()
    with force_locale("vi"):
        title = env.get_template("emails/_file_name.txt").render(kind=document.kind, conference=conference)
    extension = (document.path or "x.docx").rsplit(".", 1)[-1]
    return ascii_file_name(clean_text(title), extension)


# -- the bytes ----------------------------------------------------------------------------------

def _encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded-words of at most 75 characters, split between characters only."""
    words, chunk = [], b""
    for char in text:
        data = char.encode("utf-8")
        if len(chunk) + len(data) > _EW_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += data
    if chunk:
        words.append(chunk)
    return ["=?utf-8?b?" + base64.b64encode(w).decode("ascii") + "?=" for w in words]


class ComposerPolicy(EmailPolicy):
    """`email.policy.SMTP`, except for headers with non-ASCII text:

    - unstructured ones (Subject) become encoded-words separated by folding white space, each word holding its
      own spaces, so a reader that drops the white space between encoded-words (RFC 2047 §6.2) loses nothing;
    - a display name becomes encoded-words written next to each other: Python's address parser turns the
      white space between two encoded-words of a phrase into a space, other readers drop it; written
      without any, both read the name as it was (bounded to DISPLAY_NAME_MAX, so the line stays short).
    """

    def _fold(self, name, value, refold_binary=False):
        text = str(value)
        if text.isascii() or not isinstance(value, AddressHeader | UnstructuredHeader):
            return super()._fold(name, value, refold_binary)  # MIME parameters: RFC 2231, done right
        if isinstance(value, AddressHeader):
            parts = []
            for address in value.addresses:
                display = address.display_name
                if not display or display.isascii():
                    parts.append(str(address))  # quoted as needed; an SMTPUTF8 address stays as it is
                else:
                    parts.append("".join(_encoded_words(display)) + f" <{address.addr_spec}>")
            body = ("," + self.linesep + " ").join(parts)
        else:
            body = (self.linesep + " ").join(_encoded_words(text))
        return f"{name}: {body}{self.linesep}"


POLICY = ComposerPolicy(linesep="\r\n")


def _addresses(values: Iterable[str]) -> list[Address]:
    """Address objects built from their parts: `Address(addr_spec=…)` refuses a non-ASCII local part, which an
    address checked by `checked_address` may have (sent with SMTPUTF8)."""
    found = []
    for value in values:
        name, address = split_address(value)
        username, _, domain = address.rpartition("@")
        found.append(Address(display_name=display_name_safe(name), username=username, domain=domain))
    return found


def needs_smtputf8(message: EmailMessage) -> bool:
    """An address with a non-ASCII local part: the message goes out with SMTPUTF8 and UTF-8 headers."""
    return message.policy.utf8


def _calendar_method(data: bytes) -> str:
    match = re.search(rb"^METHOD:([A-Z-]+)\r?$", data, re.MULTILINE)
    return match.group(1).decode("ascii") if match else "PUBLISH"


def mime_message(payload: dict, *, sender: str, message_id: str, now: dt.datetime, timezone,
                 attachment_bytes) -> EmailMessage:
    """The message for an outbox row's payload. `attachment_bytes(attachment)` reads each attachment's content.
    `now` is shown in `timezone` (the plan's), as an RFC 5322 date ("… +0700")."""
    headers = {"From": _addresses([sender]), "To": _addresses(payload["to"])}
    if payload.get("cc"):
        headers["Cc"] = _addresses(payload["cc"])
    if payload.get("reply_to"):
        headers["Reply-To"] = _addresses([payload["reply_to"]])
    international = any(not a.addr_spec.isascii() for group in headers.values() for a in group)
    message = EmailMessage(policy=POLICY.clone(utf8=True) if international else POLICY)
    message["Subject"] = header_safe(payload["subject"])
    for name, addresses in headers.items():
        message[name] = addresses
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(now.astimezone(timezone))
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    for attachment in payload.get("attachments", ()):
        data = attachment_bytes(attachment)
        content_type = attachment.get("content_type", "application/octet-stream").split(";", 1)[0].strip()
        maintype, _, subtype = content_type.partition("/")
        params = {}
        if content_type == "text/calendar":
            # RFC 6047 (iMIP) wants the METHOD on the part; a text/* part without charset is US-ASCII.
            params = {"method": _calendar_method(data), "charset": "utf-8"}
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=attachment["filename"],
                               params=params)
    return message
