"""Bring the English catalogue up to date with the source: `python scripts/translations.py`.

Extracts every translatable string (babel.cfg), adds the new ones to messages.po with an empty
translation for a person to fill, drops none, and compiles messages.mo. test_i18n fails while a
string is missing or untranslated. The catalogue keeps no source locations, so a moved line is no diff.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "webforms" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
WIDTH = 120


def extract() -> list:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),  # noqa: S603
                        "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), str(ROOT)],
                       check=True, capture_output=True, cwd=ROOT)
        with pot.open("rb") as f:
            return [m for m in read_po(f) if m.id]


def main() -> int:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    added = [m.id for m in extract() if m.id not in catalog]
    for message_id in added:
        catalog.add(message_id, "", flags={"python-format"} if "%(" in str(message_id) else ())
    with PO.open("wb") as f:
        write_po(f, catalog, no_location=True, width=WIDTH)
    with PO.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog)
    for message_id in added:
        print(f"new, to translate: {message_id!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
