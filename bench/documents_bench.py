"""Documents: a rendered `invitation` (context from the database, render, file, row) against a raw
docxtpl render of the same template with the same context, in the same run. Goal: within 1.3x.
Then N invitations rendered by 1 worker process against 2 (goal: about half the time), timed from when
every worker is ready (process start apart), beside N raw docxtpl renders in 1 process against 2: the
parallelism the machine itself gives in the same run."""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
import time

from bench.common import bench_app, median, print_table, row

RENDERS = 30
PARALLEL_DOCS = int(os.environ.get("BENCH_PARALLEL_DOCS", "120"))


def _seed(app, invitees: int):
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
            title="Hội nghị đối thoại doanh nghiệp năm 2025", rules=rules, slug="bench",
            starts_at=dt.datetime(2025, 9, 4, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
            venue="Hội trường tầng 3, trụ sở Ban Quản lý Khu kinh tế Hải Phòng")
        for i in range(invitees):
            db.session.add(Invitee(conference=conference, category="enterprise", name=f"Giám đốc {i}",
                                   position="Giám đốc", organisation=f"Công ty TNHH Khách mời {i}",
                                   email=f"khachmoi{i}@example.vn"))
        db.session.commit()
        return conference.id, [i.id for i in conference.invitees]


def _library_images(tpl, value):
    """The invitation's check-in QR code as the libraries alone make it: qrcode's PNG in a docxtpl
    InlineImage (the template shows an image there, not the link's text)."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    from webforms.domain.documents.render import QRCode

    if isinstance(value, QRCode):
        import qrcode

        buffer = io.BytesIO()
        qrcode.make(str(value), border=2).save(buffer)
        return InlineImage(tpl, io.BytesIO(buffer.getvalue()), width=Mm(value.width_mm))
    if isinstance(value, dict):
        return {key: _library_images(tpl, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_library_images(tpl, item) for item in value]
    return value


def _raw_docxtpl(template, context) -> float:
    from docxtpl import DocxTemplate

    start = time.perf_counter()
    tpl = DocxTemplate(str(template))
    tpl.render(_library_images(tpl, context), autoescape=True)
    tpl.save(io.BytesIO())
    return time.perf_counter() - start


def _ours(app, conference_id: int, invitee_id: int) -> float:
    """One invitation the way the render workers make it: read and commit, render, short write."""
    from webforms.domain.documents import record_document, render_outside_transaction
    from webforms.domain.sql import begin_read_only
    from webforms.extensions import db
    from webforms.models import Conference
    from webforms.timeutil import utcnow

    svc = app.extensions["doithoai"]
    with app.app_context():
        start = time.perf_counter()
        begin_read_only(db.session)
        conference = db.session.get(Conference, conference_id)
        rendered = render_outside_transaction(conference, "invitation", svc.rules, svc.settings, utcnow(), pdf=False,
                                              invitee=invitee_id)
        record_document(rendered)
        db.session.commit()
        return time.perf_counter() - start


_ready = None


def _init_worker(ready) -> None:
    global _ready
    _ready = ready


def _render_many(args) -> tuple[float, float]:
    """One worker process: its own app on the shared database and documents folder. Starts rendering
    when every worker is ready; returns when its renders started and ended (perf_counter is
    CLOCK_MONOTONIC, one clock for all processes)."""
    settings, conference_id, invitee_ids = args
    from webforms.app import create_app

    app = create_app(settings)
    _ready.wait()
    start = time.perf_counter()
    for invitee_id in invitee_ids:
        _ours(app, conference_id, invitee_id)
    return start, time.perf_counter()


def _raw_many(args) -> tuple[float, float]:
    """One process rendering with docxtpl alone (no database, no file): what the machine's cores allow."""
    template, context, count = args
    _ready.wait()
    start = time.perf_counter()
    for _ in range(count):
        _raw_docxtpl(template, context)
    return start, time.perf_counter()


def _in_processes(func, argsets: list) -> tuple[float, float]:
    """Wall time with the processes' start (spawn, imports, app), and the span of their work alone."""
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with context.Pool(len(argsets), initializer=_init_worker, initargs=(context.Barrier(len(argsets)),)) as pool:
        spans = pool.map(func, argsets)
    wall = time.perf_counter() - start
    return wall, max(end for _, end in spans) - min(begin for begin, _ in spans)


def _parallel(settings, conference_id, invitee_ids, processes: int) -> tuple[float, float]:
    chunks = [invitee_ids[i::processes] for i in range(processes)]
    return _in_processes(_render_many, [(settings, conference_id, chunk) for chunk in chunks])


def _raw_parallel(template, context, count: int, processes: int) -> float:
    return _in_processes(_raw_many, [(template, context, count // processes)] * processes)[1]


def main() -> list[dict]:
    from webforms.domain.documents.config import template_path
    from webforms.domain.documents.context import build_context
    from webforms.domain.documents.render import sanitize
    from webforms.extensions import db
    from webforms.models import Conference
    from webforms.timeutil import utcnow

    with bench_app() as app:
        conference_id, invitee_ids = _seed(app, max(RENDERS, PARALLEL_DOCS))
        svc = app.extensions["doithoai"]
        with app.app_context():
            conference = db.session.get(Conference, conference_id)
            context = sanitize(build_context("invitation", conference, svc.rules, utcnow(),
                                             base_url=svc.settings.public_base_url, invitee=invitee_ids[0]))
        template = template_path("invitation")
        raw, ours = [], []
        for i in range(RENDERS):  # interleaved, so machine noise hits both alike
            raw.append(_raw_docxtpl(template, context))
            ours.append(_ours(app, conference_id, invitee_ids[i]))
        one, one_renders = _parallel(svc.settings, conference_id, invitee_ids[:PARALLEL_DOCS], 1)
        two, two_renders = _parallel(svc.settings, conference_id, invitee_ids[:PARALLEL_DOCS], 2)
        raw_one = _raw_parallel(template, context, PARALLEL_DOCS, 1)
        raw_two = _raw_parallel(template, context, PARALLEL_DOCS, 2)
    raw_ms, ours_ms = median(raw) * 1000, median(ours) * 1000
    return [
        row("documents: one invitation, read + commit, render, record vs raw docxtpl (same template + context)",
            f"{ours_ms:.0f} ms/doc", f"{raw_ms:.0f} ms/doc", ours_ms / raw_ms, "<= 1.3x"),
        row(f"documents: {PARALLEL_DOCS} invitations, 2 worker processes vs 1, renders only",
            f"{two_renders:.1f} s", f"{one_renders:.1f} s (1 process)", two_renders / one_renders, "<= 0.6x"),
        row(f"documents: {PARALLEL_DOCS} raw docxtpl renders, 2 processes vs 1 (what the cores allow)",
            f"{raw_two:.1f} s", f"{raw_one:.1f} s (1 process)", raw_two / raw_one, "report"),
        row(f"documents: {PARALLEL_DOCS} invitations, 2 worker processes vs 1, with process start",
            f"{two:.1f} s", f"{one:.1f} s (1 process)", two / one, "report"),
    ]


if __name__ == "__main__":
    print_table(main())
    sys.exit(0)
