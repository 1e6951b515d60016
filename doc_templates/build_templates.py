"""Build the Word templates in doc_templates/ (Decree 30/2020/NĐ-CP form) with python-docx.

    .venv/bin/python doc_templates/build_templates.py

The generated .docx files are committed; the Office edits them in Word afterwards, so run this only
to start over from the reference layout. Every docxtpl tag is written into a run of its own so Word
keeps it whole. Names of agencies and signers are never written here: they are template variables
filled from config/plan.yaml and config/documents.yaml.
"""

from __future__ import annotations

from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx_parts import (
    CENTER,
    HERE,
    body,
    closing_block,
    grid_table,
    header_block,
    new_document,
    para,
    tag,
    title_block,
)
from report_templates import conference_notice, postponement_report, results_report

# -- the templates ------------------------------------------------------------------------------


def announcement():
    doc = new_document()
    header_block(doc)
    title_block(doc, "THÔNG BÁO", "Về việc tổ chức Hội nghị đối thoại doanh nghiệp năm {{ conference.year }}")
    body(doc, "{{ announcement_text|paragraphs }}")
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            (" thông báo tổ chức ", {}),
            ("{{ conference.title }}", {}),
            (" như sau:", {}),
        ],
    )
    body(doc, [("1. Thời gian: ", {"bold": True}), ("{{ conference.time_and_day }}", {}), (".", {})])
    body(doc, [("2. Địa điểm: ", {"bold": True}), ("{{ conference.venue }}", {}), (".", {})])
    body(doc, [("3. Đối tượng tham dự: ", {"bold": True}), ("{{ scope.applies_to }}", {})])
    body(
        doc,
        [
            ("4. Nội dung kiến nghị: ", {"bold": True}),
            ("{{ scope.covers }}", {}),
            (" Hội nghị không giải quyết: ", {}),
            ("{{ scope.excludes }}", {}),
        ],
    )
    body(
        doc,
        [
            ("5. Đăng ký tham dự và gửi kiến nghị: ", {"bold": True}),
            ("doanh nghiệp đăng ký và gửi kiến nghị trước ", {}),
            ("{{ conference.intake_deadline }}", {}),
            (" tại địa chỉ ", {}),
            ("{{ link }}", {"italic": True}),
            (" (hoặc quét mã QR dưới đây), hoặc nộp trực tiếp tại Bộ phận một cửa của ", {}),
            ("{{ agency.short_name }}", {}),
            (".", {}),
        ],
    )
    para(doc, "{{ qr_code }}", align=CENTER, after=6)
    body(
        doc,
        [
            ("Hội nghị được tổ chức khi có tối thiểu ", {}),
            ("{{ quorum.enterprises }}", {}),
            (" doanh nghiệp đăng ký tham dự và ", {}),
            ("{{ quorum.recommendations }}", {}),
            (" kiến nghị của các doanh nghiệp này được tiếp nhận trong thời hạn nêu trên.", {}),
        ],
    )
    body(doc, [("{{ agency.short_name }}", {}), (" trân trọng thông báo./.", {})])
    closing_block(doc)
    return doc


def invitation():
    doc = new_document()
    header_block(doc)
    title_block(doc, "GIẤY MỜI", "Tham dự Hội nghị đối thoại doanh nghiệp năm {{ conference.year }}")
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            (" trân trọng kính mời: ", {}),
            ("{{ invitee.line }}", {"bold": True}),
        ],
    )
    # A leader of the city is invited "dự và chỉ đạo", and asked rather than told.
    body(doc, [("{% if invitee.official %}Dự và chỉ đạo {% else %}Tới dự {% endif %}", {}),
               ("{{ conference.title }}", {}), (".", {})])
    body(doc, [("Chủ trì: ", {}), ("{{ chair }}", {}), (".", {})])
    body(doc, [("Thời gian: ", {}), ("{{ conference.time_and_day }}", {}), (".", {})])
    body(doc, [("Địa điểm: ", {}), ("{{ conference.venue }}", {}), (".", {})])
    body(doc, [("{% if invitee.official %}Rất mong đồng chí quan tâm, dành thời gian dự và chỉ đạo Hội nghị./."
                "{% else %}Đề nghị Quý đại biểu bố trí thời gian tham dự Hội nghị đúng thành phần, thời gian nêu "
                "trên./.{% endif %}", {})])
    para(doc, "{{ checkin_qr }}", align=WD_ALIGN_PARAGRAPH.RIGHT, after=0, indent=False)
    para(doc, "Mã điểm danh tại Hội nghị", align=WD_ALIGN_PARAGRAPH.RIGHT, size=11, italic=True, after=6, indent=False)
    closing_block(doc)
    return doc


def consolidated_table():
    doc = new_document(landscape=True)
    header_block(doc, subject_line="V/v tổng hợp kiến nghị của doanh nghiệp")
    title_block(doc, "BẢNG TỔNG HỢP KIẾN NGHỊ CỦA DOANH NGHIỆP", "Gửi {{ conference.title }}")
    body(
        doc,
        [
            ("Tổng số kiến nghị tiếp nhận: ", {}),
            ("{{ total }}", {"bold": True}),
            (" kiến nghị (đến hết thời hạn tiếp nhận: ", {}),
            ("{{ counts.received }}", {}),
            (" kiến nghị, trong đó ", {}),
            ("{{ counts.in_scope }}", {}),
            (" kiến nghị thuộc phạm vi Hội nghị, ", {}),
            ("{{ counts.out_of_scope }}", {}),
            (" kiến nghị không thuộc phạm vi", {}),
            ("{% if counts.received_late != '0' %}", {}),
            ("; sau thời hạn: ", {}),
            ("{{ counts.received_late }}", {}),
            (" kiến nghị", {}),
            ("{% endif %}", {}),
            ("), theo lĩnh vực và đơn vị trả lời; kèm dự thảo trả lời của các đơn vị.", {}),
        ],
    )
    grid_table(
        doc,
        [
            "STT",
            "Mã số",
            "Doanh nghiệp",
            "Nội dung kiến nghị",
            "Lĩnh vực",
            "Đơn vị trả lời",
            "Tình trạng",
            "Dự thảo trả lời",
        ],
        [1.2, 3.9, 3.0, 5.2, 2.3, 2.7, 2.3, 4.6],
        "{%tr for row in rows %}",
        [
            "{{ row.no }}",
            "{{ row.code }}",
            "{{ row.enterprise }}",
            "{{ row.title }}: {{ row.content|paragraphs }}",
            "{{ row.field }}",
            "{{ row.department }}",
            "{{ row.status }}",
            "{{ row.draft_answer|paragraphs }}",
        ],
        size=11,
    )
    para(doc, "", after=6)
    body(doc, "Trên đây là tổng hợp kiến nghị của doanh nghiệp gửi Hội nghị, kèm dự thảo trả lời của các đơn vị./.")
    closing_block(doc)
    return doc


def conclusion_notice():
    """THÔNG BÁO Kết luận của đồng chí chủ trì : the opening paragraph with date,
    venue, chair and who attended, "1. Đánh giá chung", "2. Đối với các kiến nghị cụ thể", "3. …"."""
    doc = new_document()
    header_block(doc)
    title_block(
        doc,
        "THÔNG BÁO",
        "Kết luận của đồng chí {{ chair.name }}, {{ chair.title }} tại Hội nghị đối thoại doanh nghiệp"
        " năm {{ conference.year }}",
    )
    body(
        doc,
        [
            ("Ngày ", {}),
            ("{{ conference.date_short }}", {}),
            (", tại ", {}),
            ("{{ conference.venue }}", {}),
            (", ", {}),
            ("{{ agency.short_name }}", {}),
            (" tổ chức Hội nghị đối thoại doanh nghiệp năm ", {}),
            ("{{ conference.year }}", {}),
            (". Đồng chí ", {}),
            ("{{ chair.name }}", {}),
            (", ", {}),
            ("{{ chair.title }}", {}),
            (" chủ trì; tham dự có ", {}),
            ("{% if attending.leaders %}", {}),
            ("{{ attending.leaders }}", {}),
            (", ", {}),
            ("{% endif %}", {}),
            ("{% if attending.agencies %}", {}),
            ("đại diện ", {}),
            ("{{ attending.agencies }}", {}),
            (" ", {}),
            ("{% endif %}", {}),
            ("và ", {}),
            ("{{ attending.enterprises }}", {}),
            (" doanh nghiệp. Sau khi nghe ý kiến của doanh nghiệp và các đơn vị, đồng chí ", {}),
            ("{{ chair.name }}", {}),
            (" kết luận như sau:", {}),
        ],
    )
    body(doc, [("1. Đánh giá chung", {"bold": True})])
    body(doc, "{{ general|paragraphs }}")
    body(doc, [("2. Đối với các kiến nghị cụ thể:", {"bold": True})])
    tag(doc, "{%p for item in items %}")
    body(
        doc,
        [
            ("{{ item.no }}", {}),
            (") Kiến nghị của ", {}),
            ("{% if item.enterprise %}", {}),
            ("{{ item.enterprise }}", {}),
            ("{% else %}", {}),
            ("doanh nghiệp (mã số ", {}),
            ("{{ item.code }}", {}),
            (")", {}),
            ("{% endif %}", {}),
            (" về “", {}),
            ("{{ item.title }}", {}),
            ("”: ", {}),
            ("{% if item.answered %}", {}),
            ("đã được trả lời trực tiếp tại Hội nghị", {}),
            ("{% if item.task %}", {}),
            ("; ", {}),
            ("{{ item.task }}", {}),
            ("{% endif %}", {}),
            ("{% else %}", {}),
            ("{% if item.external %}", {}),
            ("đề nghị ", {}),
            ("{% else %}", {}),
            ("giao ", {}),
            ("{% endif %}", {}),
            ("{{ item.lead }}", {}),
            (" chủ trì", {}),
            ("{% if item.coordinating %}", {}),
            (", phối hợp với ", {}),
            ("{{ item.coordinating }}", {}),
            ("{% endif %}", {}),
            ("{% if item.task %}", {}),
            (" ", {}),
            ("{{ item.task }}", {}),
            ("{% endif %}", {}),
            (", trả lời doanh nghiệp chậm nhất ngày ", {}),
            ("{{ item.due }}", {}),
            ("{% endif %}", {}),
            (".", {}),
        ],
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if closing %}")
    body(doc, [("3. Tổ chức thực hiện", {"bold": True})])
    body(doc, "{{ closing|paragraphs }}")
    tag(doc, "{%p endif %}")
    body(
        doc,
        [("{{ agency.short_name }}", {}), (" thông báo để các đơn vị, doanh nghiệp biết, thực hiện./.", {})],
    )
    closing_block(doc)
    return doc


def reply_letter():
    doc = new_document()
    header_block(doc, subject_line="V/v trả lời kiến nghị của doanh nghiệp")
    para(doc, "", after=6)
    para(doc, [("Kính gửi: ", {}), ("{{ enterprise.name }}", {})], align=CENTER, size=14, after=12, before=6)
    body(
        doc,
        [
            ("Ngày ", {}),
            ("{{ recommendation.received }}", {}),
            (", ", {}),
            ("{{ agency.short_name }}", {}),
            (" nhận được kiến nghị của ", {}),
            ("{{ enterprise.name }}", {}),
            (" (mã số ", {}),
            ("{{ recommendation.code }}", {}),
            (") gửi ", {}),
            ("{{ conference.title }}", {}),
            (" với nội dung:", {}),
        ],
    )
    body(doc, "{{ recommendation.title }}", italic=True, bold=True)
    body(doc, "{{ recommendation.content|paragraphs }}", italic=True)
    tag(doc, "{%p if at_conference %}")
    body(
        doc,
        [
            ("Tại Hội nghị đối thoại doanh nghiệp năm ", {}),
            ("{{ conference.year }}", {}),
            (" ngày ", {}),
            ("{{ conference.date_short }}", {}),
            (", lãnh đạo ", {}),
            ("{{ agency.short_name }}", {}),
            (" đã trả lời trực tiếp kiến nghị của ", {}),
            ("{{ enterprise.name }}", {}),
            (". ", {}),
            ("{{ agency.short_name }}", {}),
            (" thông báo bằng văn bản nội dung trả lời như sau:", {}),
        ],
    )
    tag(doc, "{%p else %}")
    body(doc, [("Về nội dung kiến nghị, ", {}), ("{{ agency.short_name }}", {}), (" có ý kiến như sau:", {})])
    tag(doc, "{%p endif %}")
    body(doc, "{{ recommendation.answer|paragraphs }}")
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            ("{% if at_conference %}", {}),
            (" thông báo để ", {}),
            ("{% else %}", {}),
            (" trả lời để ", {}),
            ("{% endif %}", {}),
            ("{{ enterprise.name }}", {}),
            (" biết, thực hiện./.", {}),
        ],
    )
    closing_block(doc)
    return doc


def budget_estimate():
    doc = new_document()
    header_block(doc, subject_line="V/v dự toán kinh phí tổ chức Hội nghị")
    title_block(doc, "DỰ TOÁN", "Kinh phí tổ chức Hội nghị đối thoại doanh nghiệp năm {{ conference.year }}")
    body(
        doc,
        [
            ("Căn cứ Kế hoạch tổ chức ", {}),
            ("{{ conference.title }}", {}),
            (", ", {}),
            ("{{ agency.short_name }}", {}),
            (" lập dự toán kinh phí tổ chức Hội nghị như sau:", {}),
        ],
    )
    grid_table(
        doc,
        ["STT", "Nội dung", "Đơn vị tính", "Số lượng", "Đơn giá (đồng)", "Thành tiền (đồng)"],
        [1.3, 5.6, 2.0, 2.0, 2.7, 2.9],
        "{%tr for item in budget.lines %}",
        [
            "{{ item.no }}",
            "{{ item.name }}",
            "{{ item.unit }}",
            ("{{ item.quantity }}", WD_ALIGN_PARAGRAPH.RIGHT),
            ("{{ item.unit_price }}", WD_ALIGN_PARAGRAPH.RIGHT),
            ("{{ item.amount }}", WD_ALIGN_PARAGRAPH.RIGHT),
        ],
        footer=["", "Tổng cộng", "", "", "", ("{{ budget.total }}", WD_ALIGN_PARAGRAPH.RIGHT)],
        size=12,
    )
    para(doc, "", after=6)
    body(doc, [("Tổng dự toán: ", {}), ("{{ budget.total_text }}", {"bold": True}), (".", {})])
    body(doc, [("Nguồn kinh phí: ", {}), ("{{ budget.source }}", {}), ("./.", {})])
    closing_block(doc)
    return doc


TEMPLATES = {
    "announcement": announcement,
    "invitation": invitation,
    "consolidated_table": consolidated_table,
    "conclusion_notice": conclusion_notice,
    "results_report": results_report,
    "postponement_report": postponement_report,
    "conference_notice": conference_notice,
    "reply_letter": reply_letter,
    "budget_estimate": budget_estimate,
}


def build(folder: Path = HERE) -> list[Path]:
    written = []
    for kind, make in TEMPLATES.items():
        path = folder / f"{kind}.docx"
        make().save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path)
