"""Appendix I of the results report lists each in-scope recommendation with its lead unit, the agencies
consulted (outside agencies included: the fidelity review found only internal units there) and its result,
re-opened from the rendered .docx; its rows are the in-scope count of the body."""

from __future__ import annotations

import io

import docx
from sqlalchemy import select

from tests.documents.conftest import NOW, build_full_conference
from tests.moments import INTAKE_OPEN, local
from webforms.domain.documents import generate_document
from webforms.extensions import db
from webforms.models import Assignment, AssignmentRole, AssignmentState, Department

HEADINGS = ["STT", "Kiến nghị", "Lĩnh vực", "Đơn vị chủ trì", "Cơ quan, đơn vị phối hợp", "Kết quả trả lời"]


def _consult(owner: Assignment, code: str, state: str) -> Assignment:
    department = db.session.scalar(select(Department).where(Department.code == code))
    child = Assignment(recommendation_id=owner.recommendation_id, department_id=department.id,
                       role=AssignmentRole.COORDINATING, parent_id=owner.id, state=state,
                       draft_answer="Ý kiến phối hợp." if state == AssignmentState.SUBMITTED else "",
                       due_at=local(2025, 9, 18, 23, 59, 59), created_at=INTAKE_OPEN)
    db.session.add(child)
    return child


def _list_rows(data: bytes) -> list[list[str]]:
    for table in docx.Document(io.BytesIO(data)).tables:
        rows = [[cell.text.strip() for cell in row.cells] for row in table.rows]
        if rows and rows[0] == HEADINGS:
            return rows[1:]
    raise AssertionError("no list of recommendations in Appendix I")


def test_appendix_i_lists_the_agencies_consulted_for_each_recommendation(app_ctx, rules, settings):
    full = build_full_conference(rules)
    planning = full.recommendations[2]  # DAU_TU, QLĐT, open
    owner = next(a for a in planning.assignments if a.role == AssignmentRole.OWNER)
    planning.needs_coordination = True
    _consult(owner, "THUE", AssignmentState.SUBMITTED)  # its view is in
    _consult(owner, "PCCC", AssignmentState.OPEN)  # still awaited
    _consult(owner, "QHXD", AssignmentState.REVOKED)  # asked, then no longer needed: listed once, as asked
    db.session.flush()
    db.session.expire_all()  # the recommendations' assignments, as a worker's session reads them

    document = generate_document(full.conference, "results_report", rules, settings, NOW, pdf=False)
    data = (settings.resolved_documents_dir / document.path).read_bytes()
    rows = _list_rows(data)
    in_scope = [r for r in full.recommendations if r.scope != "out_of_scope"]
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(in_scope) + 1)]
    assert {r.code for r in in_scope} == {code for row in rows for code in [row[1].split(" ")[0]]}
    (row,) = [row for row in rows if row[1].startswith(planning.code)]
    assert row[3] == "Phòng Quản lý Đầu tư"
    assert row[4] == ("Thuế thành phố Hải Phòng; Phòng Cảnh sát PCCC và CNCH, Công an thành phố (chưa có ý kiến); "
                      "Phòng Quản lý Quy hoạch và Xây dựng (chưa có ý kiến)"), row[4]
    assert row[5].startswith("Đang xử lý (hạn ")
    others = [r for r in rows if not r[1].startswith(planning.code)]
    assert all(r[4] == "" for r in others), others
    results = {r[1].split(" ")[0]: r[5] for r in rows}
    assert results[full.recommendations[0].code] == "Đã trả lời tại Hội nghị"
    assert results[full.recommendations[1].code].startswith("Đã trả lời bằng văn bản")
    assert results[full.recommendations[3].code].startswith("Quá hạn (hạn 03/09/2025)")
