"""One count of "in scope" and one reading of attendance for the quorum, the dashboard, every document
and the API (issue #12 item 1): the rendered results report's text, re-opened from the file written,
agrees with the database, with `intake quorum` and with itself (Appendix I adds up)."""

from __future__ import annotations

import io
import re

import docx
from sqlalchemy import func, select

from tests.documents.conftest import NOW, build_full_conference, create_recommendation
from tests.documents.test_render import all_text
from tests.moments import INTAKE_CLOSED
from webforms.domain.documents import build_context, generate_document
from webforms.domain.intake.quorum import intake_figures, quorum
from webforms.extensions import db
from webforms.models import Recommendation, Registration, Scope


def _as_screening_leaves_it(full):
    """No code sets IN_SCOPE: screening only ever takes items out. The real state of every item that
    was not screened out is PENDING, plus one item entered by staff after the intake closed."""
    for rec in full.recommendations:
        if rec.scope == Scope.IN_SCOPE:
            rec.scope = Scope.PENDING
    late = create_recommendation(full.registrations[1], 3, title="Bổ sung sau hạn", content="Nhập sau hạn.",
                                 field_code="DAU_TU", department=None, scope=Scope.PENDING)
    late.received_at = INTAKE_CLOSED
    late.late = True
    db.session.flush()


def _number(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    assert match, pattern
    return int(match.group(1).replace(".", ""))


def test_results_report_figures_are_the_quorum_s_and_appendix_i_adds_up(app_ctx, rules, calendar, settings):
    full = build_full_conference(rules)
    _as_screening_leaves_it(full)
    conference = full.conference
    document = generate_document(conference, "results_report", rules, settings, NOW, pdf=False)
    data = (settings.resolved_documents_dir / document.path).read_bytes()
    text = all_text(data)

    # What the database holds, counted here independently of the code under test.
    attended = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.conference_id == conference.id, Registration.attended.is_(True)))
    received = db.session.scalar(select(func.count(Recommendation.id)).where(
        Recommendation.conference_id == conference.id, Recommendation.late.is_(False)))
    out = db.session.scalar(select(func.count(Recommendation.id)).where(
        Recommendation.conference_id == conference.id, Recommendation.scope == Scope.OUT_OF_SCOPE))
    assert (attended, received, out) == (2, 5, 1)
    counts = quorum(conference, rules, calendar)

    assert _number(text, r"và (\d+) doanh nghiệp tham dự Hội nghị") == attended
    assert _number(text, r"tiếp nhận (\d+) kiến nghị") == received
    in_scope = _number(text, r"trong đó (\d+) kiến nghị thuộc phạm vi Hội nghị")
    assert in_scope == received - out == counts.recommendations == 4
    assert "sau thời hạn tiếp nhận, Ban Quản lý Khu kinh tế Hải Phòng tiếp nhận thêm 1 kiến nghị" in text
    # No automatic self-assessment: a report with items pending must not call them completed.
    assert "theo dõi đến khi hoàn thành" not in text and "[Ưu điểm, hạn chế" in text

    # Appendix I, read from the table of the file: rows 5-8 split row 4, and each group adds up to it.
    table = docx.Document(io.BytesIO(data)).tables[-2]  # Appendix I's figures; its list of recommendations follows
    rows = [[cell.text for cell in row.cells] for row in table.rows][1:]
    numbered = {r[1]: int(r[2]) for r in rows if r[0]}
    assert numbered["Số doanh nghiệp tham dự Hội nghị"] == attended
    assert numbered["Số kiến nghị tiếp nhận"] == received
    assert numbered["Số kiến nghị thuộc phạm vi Hội nghị"] == in_scope
    outcomes = ("Số kiến nghị đã trả lời tại Hội nghị", "Số kiến nghị trả lời bằng văn bản đúng hạn",
                "Số kiến nghị quá hạn trả lời", "Số kiến nghị đang xử lý")
    assert sum(numbered[label] for label in outcomes) == in_scope
    groups: dict[str, list[int]] = {}
    current = None
    for index, label, value, _unit in rows:
        if index:
            current = label
            groups[current] = [int(value)]
        else:
            groups[current].append(int(value))
    for label in ("Kiến nghị theo lĩnh vực", "Kiến nghị theo đơn vị trả lời"):
        total, *parts = groups[label]
        assert total == sum(parts) == in_scope, label


def test_every_document_and_the_quorum_count_in_scope_the_same(app_ctx, rules, calendar):
    full = build_full_conference(rules)
    _as_screening_leaves_it(full)
    conference = full.conference
    figures = intake_figures(conference, rules, calendar)
    assert (figures.received, figures.out_of_scope, figures.in_scope) == (5, 1, 4)
    assert figures.unscreened == 4  # not screened yet: counted as in scope, and said so
    assert figures.received_late == 1
    assert figures.attended == 2
    assert dict(figures.out_of_scope_reasons) == {"": 1}
    assert quorum(conference, rules, calendar).recommendations == figures.in_scope
    table = build_context("consolidated_table", conference, rules, NOW)
    assert (table["total"], table["counts"]) == ("6", {"received": "5", "in_scope": "4", "out_of_scope": "1",
                                                       "received_late": "1"})
    notice = build_context("conclusion_notice", conference, rules, NOW)
    # The chair's conclusions speak of every in-scope recommendation, and of the enterprises checked in.
    assert len(notice["items"]) == figures.in_scope
    assert notice["attending"]["enterprises"] == str(figures.attended)
    report = build_context("results_report", conference, rules, NOW)
    assert report["metrics"]["in_scope"] == str(figures.in_scope)
    assert report["metrics"]["enterprises_attending"] == str(figures.attended)
