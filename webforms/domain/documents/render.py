"""docxtpl rendering that user text cannot break: sanitised, NFC, autoescaped, strict.

The approach follows docassemble's `jinja.py`: every string is cleaned of characters XML forbids
before it reaches the template, the environment escapes `&`, `<`, `>` and quotes, and a missing
variable fails loudly (StrictUndefined) instead of printing nothing.
"""

from __future__ import annotations

import io
import re
import unicodedata
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, StrictUndefined

from webforms.formatting import tentative

# docxtpl, python-docx, lxml, qrcode and Pillow (~13 MiB resident) are imported when a document is rendered,
# not with the app: the web workers and a worker that only sends mail do not carry them.
if TYPE_CHECKING:
    from docxtpl import DocxTemplate

# Characters XML 1.0 does not allow (C0 controls except tab, LF, CR; surrogates; U+FFFE/U+FFFF).
# docxtpl also reads \a as "new paragraph" and \f as "page break", which user text must not trigger:
# both are C0 controls and go with the rest.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# docxtpl turns this character into a new paragraph with the same paragraph properties.
_NEW_PARAGRAPH = "\a"


class QRCode(str):
    """A URL to print as a QR code image; stays a plain string in the JSON snapshot."""

    width_mm = 32


def sanitize_text(value: str) -> str:
    """NFC, CR/CRLF folded to LF, XML-illegal characters removed."""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL.sub("", text)


def sanitize(value):
    """The same data with every string sanitised; QRCode values keep their type."""
    if isinstance(value, QRCode):
        return QRCode(sanitize_text(value))
    if isinstance(value, str):
        return sanitize_text(value)
    if isinstance(value, dict):
        return {key: sanitize(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(item) for item in value]
    return value


def paragraphs_filter(value: str) -> str:
    """`{{ text|paragraphs }}`: each line of a multi-line text becomes its own paragraph, with the
    template paragraph's style (justified, first-line indent), instead of a line break."""
    lines = [line.strip() for line in str(value).split("\n")]
    return _NEW_PARAGRAPH.join(line for line in lines if line)


@cache
def jinja_env() -> Environment:
    env = Environment(autoescape=True, undefined=StrictUndefined)  # noqa: S701 - autoescape is on
    env.filters["paragraphs"] = paragraphs_filter
    env.filters["tentative"] = tentative  # " (dự kiến)" after a projected date
    return env


def _qr_png(url: str) -> bytes:
    import qrcode

    image = qrcode.make(url, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def _with_images(tpl: DocxTemplate, value):
    from docx.shared import Mm
    from docxtpl import InlineImage

    if isinstance(value, QRCode):
        return InlineImage(tpl, io.BytesIO(_qr_png(str(value))), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {key: _with_images(tpl, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_images(tpl, item) for item in value]
    return value


def render_docx(template_path: Path | str, context: dict) -> bytes:
    """The template filled with `context`, as .docx bytes."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(template_path))
    tpl.render(_with_images(tpl, sanitize(context)), jinja_env=jinja_env(), autoescape=True)
    buffer = io.BytesIO()
    tpl.save(buffer)
    return buffer.getvalue()


def template_variables(template_path: Path | str) -> set[str]:
    """The top-level variables a template reads (docxtpl's undeclared-variables check)."""
    from docxtpl import DocxTemplate

    return DocxTemplate(str(template_path)).get_undeclared_template_variables(jinja_env())
