"""The conclusion notice is the chair's conclusions, re-opened with python-docx."""

from __future__ import annotations

import pytest

from tests.documents.conftest import NOW, build_full_conference
from tests.documents.test_render import all_text
from webforms.domain.documents import DocumentSubjectError, build_context, render_docx, template_path
from webforms.extensions import db
from webforms.models import Conclusion


def _text(conference, rules) -> str:
    context = build_context("conclusion_notice", conference, rules, NOW)
    return all_text(render_docx(template_path("conclusion_notice"), context))


def test_the_notice_reads_as_the_chairs_conclusions(app_ctx, rules):
    full = build_full_conference(rules)
    text = _text(full.conference, rules)
    print(text)
    assert ("THÔNG BÁO\nKết luận của đồng chí Bùi Ngọc Hải, Phó Trưởng ban Ban Quản lý Khu kinh tế Hải Phòng tại "
            "Hội nghị đối thoại doanh nghiệp năm 2025") in text
    # Two of the three registrations checked in (the fixture's `attended`).
    assert ("Ngày 04/09/2025, tại Hội trường tầng 3, trụ sở Ban Quản lý Khu kinh tế Hải Phòng, Ban Quản lý Khu kinh "
            "tế Hải Phòng tổ chức Hội nghị đối thoại doanh nghiệp năm 2025. Đồng chí Bùi Ngọc Hải, Phó Trưởng ban Ban "
            "Quản lý Khu kinh tế Hải Phòng chủ trì; tham dự có đại diện lãnh đạo UBND thành phố, đại diện Sở Tài "
            "chính, Cục Thuế thành phố và 2 doanh nghiệp. Sau khi nghe ý kiến của doanh nghiệp và các đơn vị, đồng "
            "chí Bùi Ngọc Hải kết luận như sau:") in text
    assert "1. Đánh giá chung\nHội nghị diễn ra nghiêm túc, cởi mở.\nCác doanh nghiệp đánh giá cao." in text
    assert "2. Đối với các kiến nghị cụ thể:" in text
    # r1 gave no consent: its recommendations are named by code; r2 did: its name is printed.
    assert "Công ty Cổ phần Cảng Đình Vũ" not in text
    assert ("Kiến nghị của doanh nghiệp (mã số KN.20250825.0001-1) về “Gia hạn giấy phép xây dựng”: đã được trả "
            "lời trực tiếp tại Hội nghị.") in text
    assert ("Kiến nghị của Công ty TNHH LG Display Việt Nam Hải Phòng về “Điều chỉnh dự án đầu tư”: giao Phòng "
            "Quản lý Đầu tư chủ trì rà soát, hướng dẫn hồ sơ, trả lời doanh nghiệp chậm nhất ngày 15/09/2025.") in text
    assert "Khiếu nại cá nhân" not in text  # screened out
    assert "3. Tổ chức thực hiện" not in text  # no closing part typed
    assert "Hình thức, nội dung trả lời" not in text  # the old answers table is gone
    assert "TL. TRƯỞNG BAN\nCHÁNH VĂN PHÒNG" in text
    assert "KT. TRƯỞNG BAN" not in text


def test_an_outside_lead_is_asked_not_assigned_and_the_closing_part_prints(app_ctx, rules):
    full = build_full_conference(rules)
    conclusion = db.session.query(Conclusion).one()
    external = next(d for d in rules.departments if not d.is_internal)
    item = next(i for i in conclusion.items if i.due_on is not None)
    item.lead_unit, item.coordinating_units, item.task = external.code, ["QLDT"], ""
    conclusion.closing = "Văn phòng theo dõi, đôn đốc."
    db.session.flush()
    text = _text(full.conference, rules)
    assert f"đề nghị {external.name} chủ trì, phối hợp với Phòng Quản lý Đầu tư, trả lời doanh nghiệp chậm nhất" in text
    assert "3. Tổ chức thực hiện\nVăn phòng theo dõi, đôn đốc." in text


def test_no_notice_without_the_conclusions(app_ctx, rules):
    full = build_full_conference(rules)
    db.session.delete(db.session.query(Conclusion).one())
    db.session.flush()
    with pytest.raises(DocumentSubjectError, match="conclusions"):
        build_context("conclusion_notice", full.conference, rules, NOW)


def test_one_attendance_figure_for_the_notice_the_results_report_and_the_cli(app, app_ctx, rules):
    """Checking an enterprise in moves the conclusion notice, the results report and the CLI together."""
    import json

    from webforms.domain.audit import SYSTEM
    from webforms.domain.checkin import attendance, check_in_registration

    full = build_full_conference(rules)
    absent = next(r for r in full.registrations if not r.attended)
    check_in_registration(absent, delegates=2, now=NOW, rules=rules, actor=SYSTEM)
    db.session.commit()
    assert "và 3 doanh nghiệp." in _text(full.conference, rules)
    report = build_context("results_report", full.conference, rules, NOW)
    assert report["metrics"]["enterprises_attending"] == "3"
    assert attendance(full.conference).enterprises_attending == 3
    cli = app.test_cli_runner().invoke(args=["conference", "attendance", full.conference.slug, "--json"])
    assert json.loads(cli.output)["enterprises_attending"] == 3
