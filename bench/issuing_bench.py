"""Issuing: N approved invitations numbered, rendered, converted to PDF, signed through PKCS#11 (SoftHSM2),
recorded and mailed by the issuing task the back office queues, against the stack's own limit measured in
the same run and process (class Baseline): the same steps with the libraries alone, each the median of
repeats taken before and after our run, scaled to N. Goal: within 1.5x. LibreOffice converts 50 files a run
on both sides (issuing.CONVERT_BATCH): one run for 300 files left some unconverted. Needs soffice and
SoftHSM2 (skipped with a note otherwise)."""

from __future__ import annotations

import os
import shutil
import smtplib
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from bench.common import bench_app, median, print_table, row, sink_process

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


def _env(config) -> dict:
    """The SIGNING_* variables a deployment sets for `config`'s token (the issuing task reads them)."""
    token = config.token
    return {"SIGNING_TRUST_ANCHORS": ":".join(str(p) for p in config.trust_anchors),
            "SIGNING_PKCS11_MODULE": token.module, "SIGNING_TOKEN_LABEL": token.token_label,
            "SIGNING_KEY_LABEL": token.key_label, "SIGNING_PIN": token.pin}


def drafts(app, conference_id: int, invitee_ids: list[int]) -> list[int]:
    """The invitations milestone's part, not timed: one draft per invitee, approved."""
    from webforms.domain.documents import generate_document
    from webforms.domain.documents.issuing import approve_document
    from webforms.extensions import db
    from webforms.models import Conference
    from webforms.timeutil import utcnow

    svc = app.extensions["doithoai"]
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        now = utcnow()
        ids = []
        for invitee_id in invitee_ids:
            document = generate_document(conference, "invitation", svc.rules, svc.settings, now, pdf=False,
                                         invitee=invitee_id)
            ids.append(approve_document(document).id)
        db.session.commit()
        return ids


def ours(app, document_ids: list[int], config) -> float:
    """The issuing task the back office queues (workers/document_jobs.py issue_invitations): per batch of
    CONVERT_BATCH, numbers, render with number and date, one LibreOffice run, PKCS#11 signatures, register
    lines and queued mails in one transaction; then the mail worker sends them."""
    from rq import Queue
    from rq.worker import SimpleWorker

    from webforms.extensions import db
    from webforms.models import Document, OutboxMessage
    from workers.document_jobs import issue_invitations
    from workers.queues import MAIL

    svc = app.extensions["doithoai"]
    os.environ.update(_env(config))
    with app.app_context():
        start = time.perf_counter()
        result = issue_invitations({"document_ids": document_ids, "actor": "bench"})
        worker = SimpleWorker([Queue(MAIL, connection=svc.redis)], connection=svc.redis)
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
        elapsed = time.perf_counter() - start
        assert result["issued"] == len(document_ids), result
        issued = db.session.query(Document).filter(Document.state == "issued").count()
        sent = db.session.query(OutboxMessage).filter(OutboxMessage.dedupe_key.startswith("invitation-issued:"),
                                                      OutboxMessage.status == "sent").count()
        assert issued == sent == len(document_ids), (issued, sent)
        return elapsed


class Baseline:
    """The same steps with the libraries alone, each timed per unit in this process and scaled to N: a
    docxtpl render of one invitation, a LibreOffice run over CONVERT_BATCH files, a pyHanko signature in an
    open token session, an smtplib send of the signed PDF over an open connection. Each is the median of
    repeats, half taken before our run and half after it, so a burst of load on the shared machine moves
    one sample, not the limit; a LibreOffice run that leaves files unconverted is retried (counted), never
    timed as a success."""

    def __init__(self, app, conference_id: int, invitee_id: int, config, port: int):
        from webforms.domain.documents.context import build_context
        from webforms.domain.documents.render import sanitize
        from webforms.extensions import db
        from webforms.models import Conference

        svc = app.extensions["doithoai"]
        with app.app_context():
            conference = db.session.get(Conference, conference_id)
            self.context = sanitize(build_context("invitation", conference, svc.rules, time_now(),
                                                  base_url=svc.settings.public_base_url, invitee=invitee_id))
        self.context["doc_number"] = "01/GM-BQL"
        self.config, self.port = config, port
        self.samples: dict[str, list[float]] = {"render": [], "convert": [], "sign": [], "mail": []}
        self.convert_retries = 0
        self.folder = Path(tempfile.mkdtemp(prefix="doithoai-bench-direct-"))
        self.pdf = b""

    def _render(self, path: Path) -> float:
        import io

        import qrcode
        from docx.shared import Mm
        from docxtpl import DocxTemplate, InlineImage

        from webforms.domain.documents.config import template_path
        from webforms.domain.documents.render import QRCode

        start = time.perf_counter()
        template = DocxTemplate(str(template_path("invitation")))
        context = {}
        for key, value in self.context.items():  # the check-in QR code as an image, as ours prints it
            if isinstance(value, QRCode):
                png = io.BytesIO()
                qrcode.make(str(value), border=2).save(png)
                value = InlineImage(template, io.BytesIO(png.getvalue()), width=Mm(value.width_mm))
            context[key] = value
        template.render(context, autoescape=True)
        template.save(str(path))
        return time.perf_counter() - start

    def _convert(self, batch: int) -> float:
        from webforms.domain.documents import convert_to_pdf

        run = Path(tempfile.mkdtemp(dir=self.folder))
        paths = []
        for n in range(batch):
            path = run / f"gm-{n}.docx"
            shutil.copyfile(self.folder / "one.docx", path)
            paths.append(path)
        for _attempt in range(3):
            for pdf in run.glob("*.pdf"):
                pdf.unlink()
            start = time.perf_counter()
            pdfs = convert_to_pdf(paths, timeout=120 + 2 * batch)
            elapsed = time.perf_counter() - start
            if all(pdfs):
                self.pdf = pdfs[0].read_bytes()
                return elapsed
            self.convert_retries += 1
        raise RuntimeError(f"LibreOffice left files unconverted in 3 runs of {batch}")

    def sample(self, repeats: int, batch: int) -> None:
        from webforms.domain.documents.signing import token_signer

        for _ in range(repeats):
            self.samples["render"].append(self._render(self.folder / "one.docx"))
        self.samples["convert"].append(self._convert(batch))
        with token_signer(self.config) as sign, smtplib.SMTP("127.0.0.1", self.port) as smtp:
            for n in range(repeats):
                start = time.perf_counter()
                signed = sign(self.pdf, reason=f"Ban hành văn bản số {n + 1:02d}/GM-BQL",
                              stamp_text="%(signer)s\n%(url)s", url=f"http://127.0.0.1/xac-thuc/{n}")
                self.samples["sign"].append(time.perf_counter() - start)
                start = time.perf_counter()
                message = EmailMessage()
                message["From"] = "doithoai@localhost"
                message["To"] = f"khachmoi{n}@example.vn"
                message["Subject"] = "Giấy mời"
                message.set_content("Kính mời Quý vị tham dự Hội nghị.")
                message.add_attachment(signed, maintype="application", subtype="pdf", filename=f"gm-{n}.pdf")
                smtp.send_message(message)
                self.samples["mail"].append(time.perf_counter() - start)

    def limit(self, count: int, batch: int) -> tuple[float, dict[str, float]]:
        per = {name: median(values) for name, values in self.samples.items()}
        return count * (per["render"] + per["sign"] + per["mail"]) + count / batch * per["convert"], per

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def time_now():
    from webforms.timeutil import utcnow

    return utcnow()


def main() -> list[dict]:
    if shutil.which("soffice") is None or not Path("/usr/lib/softhsm/libsofthsm2.so").exists():
        print("issuing bench: needs soffice and SoftHSM2", file=sys.stderr)
        return []
    from webforms.domain.documents.issuing import CONVERT_BATCH

    repeats = int(os.environ.get("BENCH_ISSUE_REPEATS", "10"))
    batch = min(CONVERT_BATCH, COUNT)  # one LibreOffice run of what ours converts in one
    with tempfile.TemporaryDirectory(prefix="doithoai-bench-hsm-") as hsm, sink_process() as port:
        config = _token(Path(hsm))
        with bench_app(mail_port=port) as app:
            conference_id, invitee_ids = _seed(app, COUNT)
            baseline = Baseline(app, conference_id, invitee_ids[0], config, port)
            try:
                baseline.sample(repeats // 2, batch)  # before our run ...
                document_ids = drafts(app, conference_id, invitee_ids)
                mine = ours(app, document_ids, config)
                baseline.sample(repeats - repeats // 2, batch)  # ... and after it
                raw, per = baseline.limit(COUNT, batch)
            finally:
                baseline.close()
    steps = ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in per.items())
    print(f"issuing bench: medians per unit ({steps}; convert = one LibreOffice run of {batch} files), "
          f"{len(baseline.samples['sign'])} samples each, {baseline.convert_retries} LibreOffice retries",
          file=sys.stderr)
    return [row(f"issuing: {COUNT} invitations (number, render, PDF, PKCS#11 signature, record, mail) vs the "
                "same steps with the libraries alone, medians scaled to N (docxtpl, soffice runs of "
                f"{CONVERT_BATCH}, pyHanko, smtplib)",
                f"{mine:.1f} s ({mine / COUNT * 1000:.0f} ms/doc)", f"{raw:.1f} s ({raw / COUNT * 1000:.0f} ms/doc)",
                mine / raw, "<= 1.5x")]


if __name__ == "__main__":
    print_table(main())
    sys.exit(0)
