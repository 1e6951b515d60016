"""Composing emails: one template pair per message, `emails/<event>_to_<recipient>.{txt,html}`.

The .txt template defines `{% block subject %}` and `{% block body %}`; the .html one extends
`emails/base.html`. Subjects pass through `header_safe`, addresses through `checked_address`:
no user text reaches a header with a line break in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import formataddr, parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale

from webforms.domain.text import clean_text

SUBJECT_MAX = 200


class AddressError(ValueError):
    pass


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def header_safe(value: str, max_length: int = SUBJECT_MAX) -> str:
    """One line, no control characters, bounded: safe to place in a mail header."""
    text = clean_text(value)
    return text if len(text) <= max_length else text[: max_length - 1] + "…"


def checked_address(value: str) -> str:
    """A syntactically valid address, normalised, or AddressError. Display names are kept but cleaned."""
    if any(c in value for c in "\r\n\x00"):
        raise AddressError("line break in address")
    name, address = parseaddr(value)
    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise AddressError(str(exc)) from exc
    normalized = valid.normalized
    return formataddr((header_safe(name, 120), normalized)) if name else normalized


def address_domain(value: str) -> str:
    return Address(addr_spec=parseaddr(value)[1]).domain


def compose(template: str, context: dict) -> Composed:
    """Render `emails/<template>.txt` (subject and body blocks) and `emails/<template>.html`, in Vietnamese
    whatever language the page that caused the email was read in."""
    env = current_app.jinja_env
    with force_locale("vi"):
        text_template = env.get_template(f"emails/{template}.txt")
        ctx = text_template.new_context(dict(context))
        subject = header_safe("".join(text_template.blocks["subject"](ctx)))
        text = "".join(text_template.blocks["body"](ctx)).strip() + "\n"
        html = env.get_template(f"emails/{template}.html").render(**context)
    return Composed(subject=subject, text=text, html=html)
