"""Every kind renders from a full conference into a file Word opens, in the Decree 30/2020 form."""

from __future__ import annotations

import io
import time
import unicodedata

import docx
import pytest

from tests.documents.conftest import HOSTILE, NFD_NAME, NOW, build_full_conference
from webforms.domain.documents import KINDS, build_context, render_docx, template_path


def _render(kind, conference, rules, subject):
    context = build_context(kind, conference, rules, NOW, base_url="http://localhost", **subject)
    return context, render_docx(template_path(kind), context)


def all_text(data: bytes) -> str:
    """The visible text of a .docx: body paragraphs, every table cell (nested too), headers."""
    document = docx.Document(io.BytesIO(data))
    parts = []

    def walk(container):
        for paragraph in container.paragraphs:
            parts.append(paragraph.text)
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(document)
    return "\n".join(parts)


def fonts_used(data: bytes) -> set[str]:
    document = docx.Document(io.BytesIO(data))
    names = {document.styles["Normal"].font.name}
    for element in document.element.body.iter():
        if element.tag.endswith("}rFonts"):
            names.update(v for k, v in element.attrib.items() if k.endswith("}ascii") or k.endswith("}hAnsi"))
    return names


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_the_decree_form(kind, full_conference, rules, subjects):
    context, data = _render(kind, full_conference.conference, rules, subjects.get(kind, {}))
    text = all_text(data)
    for marker in ("{{", "{%", "}}", "%}"):
        assert marker not in text
    agency = rules.plan.agency
    assert agency.superior in text
    assert agency.name in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "Số: " in text
    assert context["doc_number"].strip() in text
    # A draft leaves the day and month blank, as the number, for the văn thư (issuing prints them).
    assert "Hải Phòng, ngày " in text and " năm 2025" in text
    assert "ngày 04 tháng 9 năm 2025" not in text.split("Hải Phòng, ngày", 1)[1][:40]
    assert "Nơi nhận:" in text
    assert "Lưu: V" in text  # VT or VP: the archive line (its unit: tests/documents/test_signers.py)
    signer = context["signer"]  # per kind (tests/documents/test_signers.py)
    assert signer["title"] in text
    assert signer["authority"] in text
    assert signer["name"] in text
    assert fonts_used(data) == {"Times New Roman"}
    section = docx.Document(io.BytesIO(data)).sections[0]
    assert round(section.left_margin.mm) == 30
    assert round(section.right_margin.mm) == 15
    assert round(section.top_margin.mm) == 20
    assert round(section.bottom_margin.mm) == 20


def test_invitation_follows_form_1_7(full_conference, rules):
    invitee = full_conference.invitees[0]
    _, data = _render("invitation", full_conference.conference, rules, {"invitee": invitee.id})
    text = all_text(data)
    assert "GIẤY MỜI" in text
    # A leader of the city: "Đồng chí … –", invited to attend and direct.
    assert (f"Ban Quản lý Khu kinh tế Hải Phòng trân trọng kính mời: Đồng chí {invitee.name} – Phó Chủ tịch "
            "Ủy ban nhân dân thành phố Hải Phòng") in text
    assert "Dự và chỉ đạo Hội nghị đối thoại doanh nghiệp năm 2025." in text
    assert "Rất mong đồng chí quan tâm, dành thời gian dự và chỉ đạo Hội nghị./." in text
    assert "Quý đại biểu" not in text


def test_invitation_names_each_addressee_in_the_administrative_register(full_conference, rules):
    agency, press = full_conference.invitees[1], full_conference.invitees[2]
    text = all_text(_render("invitation", full_conference.conference, rules, {"invitee": agency.id})[1])
    assert f"trân trọng kính mời: Ông (Bà) {agency.name} – Giám đốc Sở Tài chính" in text
    assert "Tới dự Hội nghị" in text and "Đề nghị Quý đại biểu bố trí thời gian" in text
    text = all_text(_render("invitation", full_conference.conference, rules, {"invitee": press.id})[1])
    assert "trân trọng kính mời: Phóng viên – Trung tâm Báo chí và Truyền thông thành phố Hải Phòng" in text
    registration = full_conference.registrations[0]
    text = all_text(_render("invitation", full_conference.conference, rules,
                            {"registration": registration.id})[1])
    assert (f"trân trọng kính mời: Ông (Bà) {registration.contact_name} – {registration.contact_position} "
            f"{registration.enterprise.name}") in text
    assert "Thời gian: 08 giờ 30, thứ Năm, ngày 04 tháng 9 năm 2025." in text
    assert "Địa điểm: Hội trường tầng 3" in text
    assert "Số:       /GM-BQL" in text


def test_reply_letter_is_a_cong_van(full_conference, rules, subjects):
    rec = full_conference.recommendations[1]
    _, data = _render("reply_letter", full_conference.conference, rules, subjects["reply_letter"])
    text = all_text(data)
    assert "/BQL-QLLĐ" in text  # the drafting unit (tests/documents/test_signers.py)
    assert "V/v trả lời kiến nghị của doanh nghiệp" in text
    assert f"Kính gửi: {rec.registration.enterprise.name}" in text
    assert rec.answer in text


def test_announcement_has_the_link_and_a_qr_code_image(full_conference, rules):
    context, data = _render("announcement", full_conference.conference, rules, {})
    assert context["link"] == "http://localhost/hoi-nghi/hoi-nghi-2025"
    assert context["link"] in all_text(data)
    document = docx.Document(io.BytesIO(data))
    images = [r for r in document.part.rels.values() if r.reltype.endswith("/image")]
    assert len(images) == 1
    assert document.inline_shapes[0].width.mm == pytest.approx(32, abs=0.5)
    # The intake deadline is the plan's intake_closes milestone (D-5 working days).
    assert "23 giờ 59, ngày 26 tháng 8 năm 2025" in all_text(data)


def test_results_report_appendix_rows_come_from_config(full_conference, rules):
    context, data = _render("results_report", full_conference.conference, rules, {})
    metrics = context["metrics"]
    assert metrics == {
        "enterprises_registered": "3",
        "enterprises_attending": "2",
        "recommendations_received": "5",
        "in_scope": "4",
        "out_of_scope": "1",
        "received_late": "0",
        "answered_at_conference": "1",
        "answered_in_writing_on_time": "1",
        "overdue": "1",
        "pending": "1",
    }
    document = docx.Document(io.BytesIO(data))
    appendix = document.tables[-2]  # the figures; the list of recommendations follows
    rows = [[cell.text for cell in row.cells] for row in appendix.rows]
    assert rows[0] == ["STT", "Nội dung", "Số lượng", "Đơn vị tính"]
    assert ["1", "Số doanh nghiệp đăng ký tham dự", "3", "doanh nghiệp"] in rows
    assert ["", "- Đất đai", "1", "kiến nghị"] in rows
    assert ["", "- Phòng Quản lý Quy hoạch và Xây dựng", "1", "kiến nghị"] in rows
    assert document.sections[-1].orientation == 1  # the appendix page is landscape


def test_budget_estimate_totals_the_config_line_items(full_conference, rules):
    context, data = _render("budget_estimate", full_conference.conference, rules, {})
    assert context["budget"]["total_text"] == "23.500.000 đồng"
    assert "Tổng dự toán: 23.500.000 đồng." in all_text(data)


def test_hostile_text_prints_literally_and_the_file_still_opens(app_ctx, rules):
    full = build_full_conference(rules, hostile=HOSTILE)
    conference = full.conference
    # Control characters and a very long text go straight into the columns, past the form's cleaning.
    from webforms.extensions import db

    nul = "\x00" if db.engine.dialect.name == "sqlite" else ""  # PostgreSQL text cannot hold NUL at all
    conference.venue = f"Hội trường{nul}\x07\x0b\x0c\x1f A\ufffe"
    rec = full.recommendations[0]
    long_text = ("Kiến nghị rất dài & <chi tiết> " * 400)[:10_000]
    rec.content = long_text
    for kind in KINDS:
        subject = {
            "invitation": {"invitee": full.invitees[1].id},
            "reply_letter": {"recommendation": rec.code},
            "conference_notice": {"change": "cancelled", "reason": HOSTILE},
        }.get(kind, {})
        _, data = _render(kind, conference, rules, subject)
        text = all_text(data)
        if kind in (
            "announcement",
            "invitation",
            "conclusion_notice",
            "results_report",
            "conference_notice",
        ):
            assert "Hội trường A" in text
        if kind in ("consolidated_table", "conclusion_notice", "reply_letter", "conference_notice"):
            assert HOSTILE in text
    _, data = _render("reply_letter", conference, rules, {"recommendation": rec.code})
    assert long_text.strip() in all_text(data)
    _, data = _render("consolidated_table", conference, rules, {})
    assert unicodedata.normalize("NFC", NFD_NAME) in all_text(data)
    assert NFD_NAME not in all_text(data)


def test_multiline_text_becomes_separate_paragraphs(full_conference, rules):
    rec = full_conference.recommendations[0]
    _, data = _render("reply_letter", full_conference.conference, rules, {"recommendation": rec.code})
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert "Đề nghị gia hạn giấy phép." in paragraphs
    assert "Hồ sơ đã nộp từ tháng 6." in paragraphs


def test_a_render_takes_well_under_a_second(full_conference, rules, subjects):
    start = time.perf_counter()
    for kind in KINDS:
        _render(kind, full_conference.conference, rules, subjects.get(kind, {}))
    per_render_ms = (time.perf_counter() - start) * 1000 / len(KINDS)
    assert per_render_ms < 1000
