"""Issuing: N invitations rendered, numbered, converted to PDF, signed through PKCS#11 (SoftHSM2),
recorded and mailed, against the same steps done directly in the same run: docxtpl renders, one batched
LibreOffice run, pyHanko signatures in one token session, and smtplib sending over one connection to the
same local sink. Goal: within 1.5x. LibreOffice converts 50 files a run on both sides (issuing.CONVERT_BATCH):
one run for 300 files left some unconverted. Needs soffice and SoftHSM2 (skipped with a note otherwise)."""

from __future__ import annotations

import os
import shutil
import smtplib
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from bench.common import bench_app, print_table, row, sink_process

COUNT = int(os.environ.get("BENCH_ISSUE_DOCS", "300"))


def _token(folder: Path):
    """A throwaway CA and a SoftHSM2 token with a signer's key (the tests' helpers)."""
    from tests.signing_helpers import PIN, SOFTHSM_MODULE, init_softhsm, issue_signer, make_ca, make_tokens
    from webforms.domain.documents.signing import SigningConfig, StampBox, TokenConfig

    init_softhsm(folder)
    ca = make_ca(folder / "ca", "CA bench doithoai")
    key, cert = issue_signer(ca, "Bùi Ngọc Hải")
    make_tokens(folder, [("bench", key, cert)], "ky-so")
    return SigningConfig(trust_anchors=(ca.pem_path,), stamp=StampBox(),
                         token=TokenConfig(module=SOFTHSM_MODULE, token_label="bench", key_label="ky-so",  # noqa: S106
                                           pin=PIN))


def _seed(app, count: int) -> tuple[int, list[int]]:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from webforms.domain.conferences import create_conference
    from webforms.domain.departments import sync_departments
    from webforms.extensions import db
    from webforms.models import Invitee

    rules = app.extensions["doithoai"].rules
    with app.app_context():
        sync_departments(rules)
        conference = create_conference(
            title="Hội nghị đối thoại doanh nghiệp năm 2027", rules=rules, slug="bench-issue",
            starts_at=dt.datetime(2027, 1, 20, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
            venue="Hội trường tầng 3, trụ sở Ban Quản lý Khu kinh tế Hải Phòng")
        for i in range(count):
            db.session.add(Invitee(conference=conference, category="enterprise", name=f"Giám đốc {i}",
                                   position="Giám đốc", organisation=f"Công ty TNHH Khách mời {i}",
                                   email=f"khachmoi{i}@example.vn"))
        db.session.commit()
        return conference.id, [i.id for i in conference.invitees]


def ours(app, conference_id: int, invitee_ids: list[int], config) -> float:
    """Render each draft, approve, issue them all (number, render with number and date, one LibreOffice
    run, sign, record, queue the mail), commit, then the mail worker sends them."""
    from rq import Queue
    from rq.worker import SimpleWorker

    from webforms.domain.documents import generate_document
    from webforms.domain.documents.issuing import approve_document, issue_documents
    from webforms.extensions import db
    from webforms.models import Conference
    from webforms.timeutil import utcnow
    from workers.queues import MAIL

    svc = app.extensions["doithoai"]
    with app.app_context():
        start = time.perf_counter()
        conference = db.session.get(Conference, conference_id)
        now = utcnow()
        documents = []
        for invitee_id in invitee_ids:
            document = generate_document(conference, "invitation", svc.rules, svc.settings, now, pdf=False,
                                         invitee=invitee_id)
            documents.append(approve_document(document))
        db.session.commit()
        results = issue_documents(documents, svc.rules, svc.settings, now, config=config)
        db.session.commit()
        assert all(r.mailed for r in results)
        worker = SimpleWorker([Queue(MAIL, connection=svc.redis)], connection=svc.redis)
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        return time.perf_counter() - start


def direct(app, conference_id: int, invitee_ids: list[int], config, port: int) -> float:
    """The same steps with the libraries alone: docxtpl, one soffice run, pyHanko in one token session,
    smtplib over one connection."""
    from docxtpl import DocxTemplate

    from webforms.domain.documents import convert_to_pdf
    from webforms.domain.documents.config import template_path
    from webforms.domain.documents.context import build_context
    from webforms.domain.documents.issuing import CONVERT_BATCH
    from webforms.domain.documents.render import sanitize
    from webforms.domain.documents.signing import token_signer
    from webforms.extensions import db
    from webforms.models import Conference
    from webforms.timeutil import utcnow

    svc = app.extensions["doithoai"]
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        contexts = [sanitize(build_context("invitation", conference, svc.rules, utcnow(),
                                           base_url=svc.settings.public_base_url, invitee=i)) for i in invitee_ids]
    template = template_path("invitation")
    with tempfile.TemporaryDirectory(prefix="doithoai-bench-direct-") as folder:
        start = time.perf_counter()
        paths = []
        for n, context in enumerate(contexts, start=1):
            context["doc_number"] = f"{n:02d}/GM-BQL"
            tpl = DocxTemplate(str(template))
            tpl.render(context, autoescape=True)
            path = Path(folder) / f"gm-{n}.docx"
            tpl.save(str(path))
            paths.append(path)
        pdfs = []
        for start in range(0, len(paths), CONVERT_BATCH):  # one run for 300 files left some unconverted
            pdfs.extend(convert_to_pdf(paths[start:start + CONVERT_BATCH], timeout=120 + 2 * CONVERT_BATCH))
        with token_signer(config) as sign, smtplib.SMTP("127.0.0.1", port) as smtp:
            for n, pdf in enumerate(pdfs, start=1):
                signed = sign(pdf.read_bytes(), reason=f"Ban hành văn bản số {n:02d}/GM-BQL",
                              stamp_text="%(signer)s\n%(url)s", url=f"http://127.0.0.1/xac-thuc/{n}")
                message = EmailMessage()
                message["From"] = "doithoai@localhost"
                message["To"] = f"khachmoi{n}@example.vn"
                message["Subject"] = "Giấy mời"
                message.set_content("Kính mời Quý vị tham dự Hội nghị.")
                message.add_attachment(signed, maintype="application", subtype="pdf", filename=f"gm-{n}.pdf")
                smtp.send_message(message)
        return time.perf_counter() - start


def main() -> list[dict]:
    if shutil.which("soffice") is None or not Path("/usr/lib/softhsm/libsofthsm2.so").exists():
        print("issuing bench: needs soffice and SoftHSM2", file=sys.stderr)
        return []
    with tempfile.TemporaryDirectory(prefix="doithoai-bench-hsm-") as hsm, sink_process() as port:
        config = _token(Path(hsm))
        with bench_app(mail_port=port) as app:
            conference_id, invitee_ids = _seed(app, COUNT)
            raw = direct(app, conference_id, invitee_ids, config, port)
            mine = ours(app, conference_id, invitee_ids, config)
    return [row(f"issuing: {COUNT} invitations (render, number, PDF, PKCS#11 signature, record, mail) vs the "
                "libraries directly (docxtpl, one soffice run, pyHanko, smtplib)",
                f"{mine:.1f} s ({mine / COUNT * 1000:.0f} ms/doc)", f"{raw:.1f} s ({raw / COUNT * 1000:.0f} ms/doc)",
                mine / raw, "<= 1.5x")]


if __name__ == "__main__":
    print_table(main())
    sys.exit(0)
