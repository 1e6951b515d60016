"""Text hygiene for everything people type: NFC, no control characters, safe slugs."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 control characters except tab and newline; NUL included.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Unicode's own line and paragraph separators: str.splitlines() and the email package treat them as
# line breaks, so they are line breaks here too.
_UNICODE_BREAKS = str.maketrans({"\u2028": "\n", "\u2029": "\n"})
# A lone surrogate is no character: UTF-8 cannot encode it, so the database refuses it. JSON can carry
# one ("\ud800"); it becomes U+FFFD, as the invalid bytes of a form post do (Werkzeug's errors="replace").
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """NFC, CRLF, CR, U+2028 and U+2029 folded to LF, control characters removed, lone surrogates
    replaced by U+FFFD, outer spaces trimmed.

    Single-line values also lose every line break (with the spaces around it, as one space), so they
    can never split a mail header. Linear in the length of the text: no backtracking regex runs over
    what people type.
    """
    if value is None:
        return ""
    text = _SURROGATE.sub("\ufffd", str(value))
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.translate(_UNICODE_BREAKS))
    if not multiline and "\n" in text:
        text = " ".join(part.strip() for part in text.split("\n") if not part.isspace() and part)
    return text.strip()


def has_control_characters(value: str) -> bool:
    return bool(_CONTROL.search(value.replace("\r\n", "\n")))


def slugify(value: str, max_length: int = 80) -> str:
    text = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_length].rstrip("-") or "hoi-nghi"
