"""A separate process that issues documents (tests/signing/test_register_concurrency.py).

argv[1]: a JSON file with the settings, the document ids, the signed PDF and the trust anchor.
Prints one JSON line: the numbers it was given, in order, and when its issuing started and ended
(time.monotonic, one clock for every process).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    import datetime as dt

    from config.settings import Settings
    from webforms.app import create_app
    from webforms.domain.documents.issuing import issue_document
    from webforms.domain.documents.signing import SigningConfig
    from webforms.extensions import db
    from webforms.models import Document
    from webforms.services import services
    from webforms.timeutil import UTC

    settings = Settings(**{k: (Path(v) if k.endswith("_dir") else v) for k, v in job["settings"].items()})
    app = create_app(settings)
    signed = Path(job["signed_pdf"]).read_bytes()
    config = SigningConfig(trust_anchors=(Path(job["trust_anchor"]),), stamp=None)
    now = dt.datetime.fromisoformat(job["now"]).astimezone(UTC)
    numbers = []
    with app.app_context():
        svc = services()
        print("ready", flush=True)
        go = Path(job["go"])
        while not go.exists():
            time.sleep(0.01)
        started = time.monotonic()
        for document_id in job["ids"]:
            document = db.session.get(Document, document_id)
            result = issue_document(document, svc.rules, svc.settings, now, signed_pdf=signed, config=config)
            db.session.commit()
            numbers.append(result.document.number)
        ended = time.monotonic()
    print(json.dumps({"numbers": numbers, "started": started, "ended": ended}), flush=True)


if __name__ == "__main__":
    main()
