"""Documents: a rendered `invitation` (context from the database, render, file, row) against a raw
docxtpl render of the same template with the same context, in the same run. Goal: within 1.3x.
Then N invitations rendered by 1 worker process against 2 (goal: about half the time)."""

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


def _raw_docxtpl(template, context) -> float:
    from docxtpl import DocxTemplate

    start = time.perf_counter()
    tpl = DocxTemplate(str(template))
    tpl.render(context, autoescape=True)
    tpl.save(io.BytesIO())
    return time.perf_counter() - start


def _ours(app, conference_id: int, invitee_id: int) -> float:
    from webforms.domain.documents.generate import generate_document
    from webforms.extensions import db
    from webforms.models import Conference
    from webforms.timeutil import utcnow

    svc = app.extensions["doithoai"]
    with app.app_context():
        start = time.perf_counter()
        conference = db.session.get(Conference, conference_id)
        generate_document(conference, "invitation", svc.rules, svc.settings, utcnow(), pdf=False, invitee=invitee_id)
        db.session.commit()
        return time.perf_counter() - start


def _render_many(args) -> int:
    """One worker process: its own app on the shared database and documents folder."""
    settings, conference_id, invitee_ids = args
    from webforms.app import create_app

    app = create_app(settings)
    for invitee_id in invitee_ids:
        _ours(app, conference_id, invitee_id)
    return len(invitee_ids)


def _parallel(settings, conference_id, invitee_ids, processes: int) -> float:
    chunks = [invitee_ids[i::processes] for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with context.Pool(processes) as pool:
        pool.map(_render_many, [(settings, conference_id, chunk) for chunk in chunks])
    return time.perf_counter() - start


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
        one = _parallel(svc.settings, conference_id, invitee_ids[:PARALLEL_DOCS], 1)
        two = _parallel(svc.settings, conference_id, invitee_ids[:PARALLEL_DOCS], 2)
    raw_ms, ours_ms = median(raw) * 1000, median(ours) * 1000
    return [
        row("documents: one invitation, generate_document vs raw docxtpl (same template + context)",
            f"{ours_ms:.0f} ms/doc", f"{raw_ms:.0f} ms/doc", ours_ms / raw_ms, "<= 1.3x"),
        row(f"documents: {PARALLEL_DOCS} invitations, 2 worker processes vs 1",
            f"{two:.1f} s", f"{one:.1f} s (1 process)", two / one, "<= 0.6x"),
    ]


if __name__ == "__main__":
    print_table(main())
    sys.exit(0)
