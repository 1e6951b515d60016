"""Render every document kind from the test suite's full conference, convert to PDF, and write a PNG
of each first page to docs/samples/<kind>.png (LibreOffice and poppler's pdftoppm required).

    .venv/bin/python scripts/render_samples.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from tests.documents.conftest import NOW, build_full_conference  # noqa: E402


def main() -> None:
    from flask_migrate import upgrade

    from webforms.app import create_app
    from webforms.domain.documents import KINDS, convert_to_pdf, generate_document

    out = ROOT / "docs" / "samples"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="testing",
            instance_dir=Path(tmp),
            redis_url="redis://unused",
            public_base_url="https://doithoai.heza.gov.vn",
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
            rules = app.extensions["doithoai"].rules
            full = build_full_conference(rules)
            subjects = {
                "invitation": {"invitee": full.invitees[0].id},
                "reply_letter": {"recommendation": full.recommendations[1].code},
            }
            documents = [
                generate_document(
                    full.conference, kind, rules, settings, NOW, pdf=False, **subjects.get(kind, {})
                )
                for kind in KINDS
            ]
            paths = [settings.resolved_documents_dir / d.path for d in documents]
            pdfs = convert_to_pdf(paths, timeout=settings.soffice_timeout)
            for kind, pdf in zip(KINDS, pdfs, strict=True):
                if pdf is None:
                    raise SystemExit(f"{kind}: no PDF (is LibreOffice installed?)")
                prefix = Path(tmp) / kind
                subprocess.run(  # noqa: S603 - fixed argument list, no shell
                    [  # noqa: S607 - poppler's pdftoppm from PATH
                        "pdftoppm",
                        "-png",
                        "-r",
                        "70",
                        "-f",
                        "1",
                        "-l",
                        "1",
                        "-singlefile",  # noqa: S603,S607 - fixed tool
                        str(pdf),
                        str(prefix),
                    ],
                    check=True,
                )
                shutil.copy(prefix.with_suffix(".png"), out / f"{kind}.png")
                print(out / f"{kind}.png")


if __name__ == "__main__":
    main()
