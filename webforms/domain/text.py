"""Text hygiene for everything people type: NFC, no control characters, safe slugs."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 control characters except tab and newline; NUL included.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """NFC, CRLF folded to LF, control characters removed, outer spaces trimmed.

    Single-line values also lose every line break, so they can never split a mail header.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if not multiline:
        text = re.sub(r"\s*\n\s*", " ", text)
    return text.strip()


def has_control_characters(value: str) -> bool:
    return bool(_CONTROL.search(value.replace("\r\n", "\n")))


def slugify(value: str, max_length: int = 80) -> str:
    text = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:max_length].rstrip("-") or "hoi-nghi"
