"""The templates of the conference's reports and notices: the results report, the postponement report and
the notice of postponement or cancellation (built by build_templates.py)."""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx_parts import (
    CENTER,
    addressees_block,
    body,
    closing_block,
    grid_table,
    header_block,
    new_document,
    para,
    restart_page_numbers,
    set_page,
    tag,
    title_block,
)


def results_report():
    doc = new_document()
    header_block(doc)
    title_block(doc, "BÁO CÁO", "Kết quả tổ chức Hội nghị đối thoại doanh nghiệp năm {{ conference.year }}")
    addressees_block(doc)
    body(
        doc,
        [
            (
                "Thực hiện Kế hoạch số 121/KH-UBND ngày 19/5/2025 của Ủy ban nhân dân thành phố "
                "về việc tổ chức Hội nghị đối thoại doanh nghiệp thành phố hàng năm tại các Sở, ban, ngành, ",
                {},
            ),
            ("{{ agency.short_name }}", {}),
            (" báo cáo kết quả tổ chức Hội nghị như sau:", {}),
        ],
    )
    body(doc, "I. KẾT QUẢ TỔ CHỨC HỘI NGHỊ", bold=True, indent=True)
    body(
        doc,
        [
            ("Ngày ", {}),
            ("{{ conference.date_short }}", {}),
            (", tại ", {}),
            ("{{ conference.venue }}", {}),
            (", ", {}),
            ("{{ agency.short_name }}", {}),
            (" đã tổ chức ", {}),
            ("{{ conference.title }}", {}),
            (". Có ", {}),
            ("{{ metrics.enterprises_registered }}", {}),
            (" doanh nghiệp đăng ký và ", {}),
            ("{{ metrics.enterprises_attending }}", {}),
            (" doanh nghiệp tham dự Hội nghị.", {}),
        ],
    )
    body(
        doc,
        [
            ("Hội nghị đã tiếp nhận ", {}),
            ("{{ metrics.recommendations_received }}", {}),
            (" kiến nghị, trong đó ", {}),
            ("{{ metrics.in_scope }}", {}),
            (" kiến nghị thuộc phạm vi Hội nghị. Kết quả trả lời: ", {}),
            ("{{ metrics.answered_at_conference }}", {}),
            (" kiến nghị trả lời trực tiếp tại Hội nghị; ", {}),
            ("{{ metrics.answered_in_writing_on_time }}", {}),
            (" kiến nghị trả lời bằng văn bản đúng hạn; ", {}),
            ("{{ metrics.overdue }}", {}),
            (" kiến nghị quá hạn; ", {}),
            ("{{ metrics.pending }}", {}),
            (" kiến nghị đang xử lý (chi tiết tại Phụ lục I kèm theo).", {}),
        ],
    )
    tag(doc, "{%p if metrics.received_late != '0' %}")
    body(
        doc,
        [
            ("Ngoài ra, sau thời hạn tiếp nhận, ", {}),
            ("{{ agency.short_name }}", {}),
            (" tiếp nhận thêm ", {}),
            ("{{ metrics.received_late }}", {}),
            (" kiến nghị; các kiến nghị này được trả lời bằng văn bản và không tính vào số liệu nêu trên.", {}),
        ],
    )
    tag(doc, "{%p endif %}")
    # What only the Office can judge is a marked blank, never an automatic self-assessment.
    body(doc, "II. ĐÁNH GIÁ", bold=True)
    body(doc, "[Ưu điểm, hạn chế trong công tác tổ chức Hội nghị và trả lời kiến nghị: Văn phòng bổ sung.]")
    body(doc, "III. KIẾN NGHỊ, ĐỀ XUẤT", bold=True)
    body(
        doc,
        "[Các vấn đề vượt thẩm quyền của Ban Quản lý, đề nghị Ủy ban nhân dân thành phố, các bộ, ngành "
        "xem xét: Văn phòng bổ sung.]",
    )
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            (" kính báo cáo Ủy ban nhân dân thành phố; đồng gửi Sở Tài chính để tổng hợp./.", {}),
        ],
    )
    closing_block(doc)
    # The appendix, landscape, on its own page.
    section = doc.add_section()
    set_page(section, landscape=True)
    restart_page_numbers(section)
    para(doc, "Phụ lục I", align=CENTER, size=14, bold=True, after=0)
    para(doc, "{{ appendix.title }}", align=CENTER, size=14, bold=True, after=0)
    para(
        doc,
        [
            ("(Kèm theo Báo cáo số ", {}),
            ("{{ doc_number }}", {}),
            (" của ", {}),
            ("{{ agency.short_name }}", {}),
            (")", {}),
        ],
        align=CENTER,
        italic=True,
        after=12,
    )
    grid_table(
        doc,
        [
            "{{ appendix.headings[0] }}",
            "{{ appendix.headings[1] }}",
            "{{ appendix.headings[2] }}",
            "{{ appendix.headings[3] }}",
        ],
        [1.5, 14.0, 4.0, 4.0],
        "{%tr for row in appendix.rows %}",
        ["{{ row.cells[0] }}", "{{ row.cells[1] }}", "{{ row.cells[2] }}", "{{ row.cells[3] }}"],
        size=13,
    )
    # Each recommendation counted above, with the agencies consulted (outside agencies included) and its
    # result: the rows are the in-scope count.
    para(doc, "Danh mục kiến nghị thuộc phạm vi Hội nghị", align=CENTER, size=13, bold=True, before=12, after=6)
    listing = grid_table(
        doc,
        ["STT", "Kiến nghị", "Lĩnh vực", "Đơn vị chủ trì", "Cơ quan, đơn vị phối hợp", "Kết quả trả lời"],
        [1.2, 7.3, 3.4, 3.6, 4.5, 3.5],
        "{%tr for item in appendix.recommendations %}",
        [("{{ item.no }}", CENTER), "{{ item.code }} – {{ item.title }} ({{ item.enterprise }})", "{{ item.field }}",
         "{{ item.lead_unit }}", "{{ item.agencies }}", "{{ item.result }}"],
        size=12,
    )
    listing.rows[2]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a recommendation on one page
    return doc


def postponement_report():
    """Plan III.1: no quorum by the intake deadline. The figures are the quorum's; each sentence follows
    the facts (announced or not, quorum met or not); the last one carries the decision."""
    doc = new_document()
    header_block(doc)
    title_block(
        doc, "BÁO CÁO", "Đề xuất dừng, hoãn tổ chức Hội nghị đối thoại doanh nghiệp năm {{ conference.year }}"
    )
    addressees_block(doc)
    body(
        doc,
        [
            ("Thực hiện Kế hoạch số 121/KH-UBND ngày 19/5/2025 của Ủy ban nhân dân thành phố và Kế hoạch số "
             "…/KH-BQL ngày … của ", {}),
            ("{{ agency.short_name }}", {}),
            (", ", {}),
            ("{% if announced.yes %}", {}),
            ("ngày ", {}),
            ("{{ announced.date }}", {}),
            (" ", {}),
            ("{{ agency.short_name }}", {}),
            (" đã đăng Thông báo số …/TB-BQL về việc tổ chức ", {}),
            ("{{ conference.title }}", {}),
            (" trên Cổng thông tin điện tử và tại Bộ phận một cửa.", {}),
            ("{% else %}", {}),
            ("{{ agency.short_name }}", {}),
            (" dự kiến tổ chức ", {}),
            ("{{ conference.title }}", {}),
            (" vào ", {}),
            ("{{ conference.time_and_day }}", {}),
            ("; đến hết thời hạn tiếp nhận, Thông báo tổ chức Hội nghị chưa được đăng.", {}),
            ("{% endif %}", {}),
        ],
    )
    body(
        doc,
        [
            ("Đến hết thời hạn tiếp nhận (ngày ", {}),
            ("{{ intake_date }}", {}),
            ("), ", {}),
            ("{{ agency.short_name }}", {}),
            (" nhận được ", {}),
            ("{{ counts.enterprises }}", {}),
            (" đăng ký tham dự và ", {}),
            ("{{ counts.received }}", {}),
            (" kiến nghị", {}),
            ("{% if counts.out_of_scope != '00' %}", {}),
            (", trong đó ", {}),
            ("{{ counts.out_of_scope }}", {}),
            (" kiến nghị không thuộc phạm vi Hội nghị", {}),
            ("{% if counts.out_of_scope_reasons %}", {}),
            (" (", {}),
            ("{{ counts.out_of_scope_reasons }}", {}),
            (")", {}),
            ("{% endif %}", {}),
            ("{% endif %}", {}),
            ("; số kiến nghị thuộc phạm vi Hội nghị là ", {}),
            ("{{ counts.in_scope }}", {}),
            (", ", {}),
            ("{% if quorum.met %}", {}),
            ("đủ", {}),
            ("{% else %}", {}),
            ("chưa đủ", {}),
            ("{% endif %}", {}),
            (" điều kiện tổ chức theo Kế hoạch (tối thiểu ", {}),
            ("{{ quorum.enterprises }}", {}),
            (" doanh nghiệp đăng ký, trong đó tối thiểu ", {}),
            ("{{ quorum.recommendations }}", {}),
            (" kiến nghị).", {}),
        ],
    )
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            (" kính báo cáo Ủy ban nhân dân thành phố, đồng gửi Sở Tài chính: ", {}),
            ("{% if decision.kind == 'postpone' %}", {}),
            ("hoãn", {"bold": True}),
            (" tổ chức Hội nghị, dự kiến tổ chức lại vào ngày ", {}),
            ("{{ decision.proposed_date }}", {}),
            ("{% elif decision.kind == 'stop' %}", {}),
            ("dừng", {"bold": True}),
            (" tổ chức Hội nghị năm ", {}),
            ("{{ conference.year }}", {}),
            ("{% else %}", {}),
            ("[hoãn tổ chức Hội nghị, dự kiến tổ chức lại vào ngày …/…/…, hoặc dừng tổ chức Hội nghị năm ", {}),
            ("{{ conference.year }}", {}),
            ("]", {}),
            ("{% endif %}", {}),
            (". Các kiến nghị đã tiếp nhận được ", {}),
            ("{{ agency.short_name }}", {}),
            (" trả lời bằng văn bản chậm nhất ngày ", {}),
            ("{{ answers_by }}", {}),
            ("./.", {}),
        ],
    )
    closing_block(doc)
    return doc


def conference_notice():
    """Thông báo hoãn / hủy tổ chức Hội nghị, sent with the postponement and cancellation emails."""
    doc = new_document()
    header_block(doc)
    title_block(
        doc,
        "THÔNG BÁO",
        "Về việc {% if change == 'postponed' %}hoãn{% else %}hủy{% endif %} tổ chức Hội nghị đối thoại doanh "
        "nghiệp năm {{ conference.year }}",
    )
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            ("{% if announced %}", {}),
            (" đã thông báo tổ chức ", {}),
            ("{% else %}", {}),
            (" dự kiến tổ chức ", {}),
            ("{% endif %}", {}),
            ("{{ conference.title }}", {}),
            (" vào ", {}),
            ("{% if change == 'postponed' %}", {}),
            ("{{ previous.time_and_day }}", {}),
            ("{% else %}", {}),
            ("{{ conference.time_and_day }}", {}),
            ("{% endif %}", {}),
            (" tại ", {}),
            ("{{ conference.venue }}", {}),
            (".", {}),
        ],
    )
    tag(doc, "{%p if reason %}")
    body(doc, [("Lý do: ", {}), ("{{ reason }}", {})])
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if change == 'postponed' %}")
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            (" thông báo hoãn tổ chức Hội nghị; Hội nghị được tổ chức lại vào ", {}),
            ("{{ conference.time_and_day }}", {"bold": True}),
            (" tại ", {}),
            ("{{ conference.venue }}", {}),
            (". Doanh nghiệp tiếp tục đăng ký tham dự và gửi kiến nghị đến hết ", {}),
            ("{{ conference.intake_deadline }}", {}),
            ("; các đăng ký và kiến nghị đã gửi vẫn có giá trị.", {}),
        ],
    )
    tag(doc, "{%p else %}")
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            (" thông báo hủy tổ chức Hội nghị. Các kiến nghị đã tiếp nhận được ", {}),
            ("{{ agency.short_name }}", {}),
            (" trả lời bằng văn bản theo quy định.", {}),
        ],
    )
    tag(doc, "{%p endif %}")
    body(
        doc,
        [
            ("{{ agency.short_name }}", {}),
            (" thông báo để các cơ quan, đơn vị, doanh nghiệp biết./.", {}),
        ],
    )
    closing_block(doc)
    return doc
