"""Build the Word templates in doc_templates/ (Decree 30/2020/NĐ-CP form) with python-docx.

    .venv/bin/python doc_templates/build_templates.py

The generated .docx files are committed; the Office edits them in Word afterwards, so run this only
to start over from the reference layout. Every docxtpl tag is written into a run of its own so Word
keeps it whole. Names of agencies and signers are never written here: they are template variables
filled from config/plan.yaml and config/documents.yaml.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"
BODY_PT = 14

CENTER = WD_ALIGN_PARAGRAPH.CENTER
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY
LEFT = WD_ALIGN_PARAGRAPH.LEFT


# -- page and styles -----------------------------------------------------------------------------


def _set_fonts(rpr_owner) -> None:
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _page(section, landscape: bool) -> None:
    width, height = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    # Decree 30/2020, Appendix I: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
    section.top_margin = Mm(20)
    section.bottom_margin = Mm(20)
    section.left_margin = Mm(30)
    section.right_margin = Mm(15)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)


def _page_number(section) -> None:
    """Page numbers centred in the top margin; the first page shows none (Decree 30/2020)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = CENTER
    run = paragraph.add_run()
    _font(run, BODY_PT)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), kind)
            run._r.append(field)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)


def new_document(landscape: bool = False) -> Document:
    doc = Document()
    _page(doc.sections[0], landscape)
    _page_number(doc.sections[0])
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element)
    fmt = normal.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing = 1.0
    for name in ("Table Grid",):
        _set_fonts(doc.styles[name].element)
    # python-docx's default template starts with one empty paragraph: drop it.
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    return doc


def text_width(doc) -> int:
    section = doc.sections[-1]
    return section.page_width - section.left_margin - section.right_margin


# -- paragraphs ----------------------------------------------------------------------------------


def _font(run, size: float, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    _set_fonts(run._r)


def para(
    container,
    parts,
    *,
    align=JUSTIFY,
    size: float = BODY_PT,
    bold=False,
    italic=False,
    indent=True,
    before: float = 0,
    after: float = 6,
    line: float = 1.15,
):
    """A paragraph from text parts; a part is a string or (text, {"bold":…, "italic":…})."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = line
    if indent and align == JUSTIFY:
        fmt.first_line_indent = Cm(1.27)
    if isinstance(parts, str):
        parts = [parts]
    for part in parts:
        text, style = (part, {}) if isinstance(part, str) else part
        run = paragraph.add_run(text)
        _font(run, style.get("size", size), style.get("bold", bold), style.get("italic", italic))
    return paragraph


def tag(container, text: str):
    """A paragraph holding only a docxtpl block tag ({%p … %}); docxtpl removes the paragraph."""
    return para(container, text, align=LEFT, indent=False, after=0)


def rule(container, width_cm: float, cell_width_cm: float):
    """A short solid line, centred: the bottom border of an almost empty paragraph with indents."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max((cell_width_cm - width_cm) / 2, 0)
    fmt.left_indent = Cm(side)
    fmt.right_indent = Cm(side)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(4)
    fmt.line_spacing = Pt(2)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.insert_element_before(borders, "w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc")
    run = paragraph.add_run("")
    _font(run, 2)
    return paragraph


# -- tables --------------------------------------------------------------------------------------


def _no_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


def _grid(table, widths_cm: list[float]) -> None:
    """Column widths in the table grid too: LibreOffice lays out by the grid, Word by the cells."""
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths_cm, strict=True):
        column.w = Cm(width)


def _no_cell_margins(table) -> None:
    margins = OxmlElement("w:tblCellMar")
    for edge in ("left", "right"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:w"), "0")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    table._tbl.tblPr.append(margins)


def layout_table(doc, widths_cm: list[float], rows: int = 1):
    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _no_borders(table)
    _no_cell_margins(table)
    _grid(table, widths_cm)
    for row in table.rows:
        # Keep a block (header, signature) on one page.
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=True):
            cell.width = Cm(width)
    for cell in table.rows[0].cells:
        cell._tc.remove(cell.paragraphs[0]._p)
    return table


def grid_table(
    doc,
    headings: list[str],
    widths_cm: list[float],
    loop: str,
    cells: list[str],
    footer: list[str] | None = None,
    size: float = 12,
):
    """A bordered table: headings, then one row repeated by `{%tr for … %}`, then an optional footer row."""
    table = doc.add_table(rows=0, cols=len(widths_cm))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _grid(table, widths_cm)

    def add_row(texts, bold=False, align=CENTER):
        row = table.add_row()
        for cell, width, text in zip(row.cells, widths_cm, texts, strict=True):
            cell.width = Cm(width)
            paragraph = cell.paragraphs[0]
            paragraph.alignment = align if not isinstance(text, tuple) else text[1]
            run = paragraph.add_run(text if isinstance(text, str) else text[0])
            _font(run, size, bold=bold)
        return row

    header = add_row(headings, bold=True)
    # Repeat the heading row on every page of a long table.
    trpr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    trpr.append(repeat)
    blank = [""] * (len(widths_cm) - 1)
    add_row([loop, *blank], align=LEFT)
    add_row(cells, align=LEFT)
    add_row(["{%tr endfor %}", *blank], align=LEFT)
    if footer:
        add_row(footer, bold=True)
    return table


# -- the parts every document shares ------------------------------------------------------------


def header_block(doc, *, subject_line: str | None = None) -> None:
    """Decree 30/2020 boxes 1-4 as a two-row table, so "Số:" and the place and date share one line however
    the agency's name wraps: row 1 the agency (left) and the national title (right), each with its rule;
    row 2 the number (and "V/v …") left, the place and date right. The agency's name breaks where
    plan.yaml puts a line break in `agency.name`."""
    total = text_width(doc) / 360000  # EMU per cm
    landscape = total > 20
    left_w = 9.0 if landscape else 7.0
    right_w = 12.0 if landscape else total - left_w
    table = layout_table(doc, [left_w, right_w], rows=2)
    left, right = table.rows[0].cells
    para(left, "{{ agency.superior }}", align=CENTER, size=12, after=0)
    para(left, "{{ agency.name }}", align=CENTER, size=13, bold=True, after=0)
    rule(left, 2.4, left_w)
    para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align=CENTER, size=12, bold=True, after=0)
    para(right, "Độc lập - Tự do - Hạnh phúc", align=CENTER, size=13, bold=True, after=0)
    rule(right, 5.6, right_w)
    number, date = table.rows[1].cells
    for cell in (number, date):
        cell._tc.remove(cell.paragraphs[0]._p)
        _cell_top(cell)
    para(number, [("Số: ", {}), ("{{ doc_number }}", {})], align=CENTER, size=13, after=0, before=2)
    if subject_line:
        para(number, subject_line, align=CENTER, size=12, after=6, before=6)
    para(date, "{{ date_line }}", align=CENTER, size=14, italic=True, after=0, before=2)


def _cell_top(cell) -> None:
    """Rows of a layout table align at the top, so "Số:" and the date sit on one baseline."""
    tc_pr = cell._tc.get_or_add_tcPr()
    align = OxmlElement("w:vAlign")
    align.set(qn("w:val"), "top")
    tc_pr.append(align)


def keep_with_next(paragraph, *, lines: bool = True):
    """The paragraph stays on the page of the one after it (and whole, with `lines`)."""
    fmt = paragraph.paragraph_format
    fmt.keep_with_next = True
    if lines:
        fmt.keep_together = True
    return paragraph


def title_block(doc, kind_label: str, summary: str | None) -> None:
    para(doc, kind_label, align=CENTER, size=14, bold=True, before=18, after=0)
    if summary:
        para(doc, summary, align=CENTER, size=14, bold=True, after=0)
        rule(doc, 4.0, text_width(doc) / 360000)
    para(doc, "", align=CENTER, after=6)


# "Kính gửi:" starts here; each addressee's dash sits at the tab after it, the next ones under the first,
# and a long addressee wraps under its own text (Decree 30/2020, Appendix I, box 9b).
ADDRESSEE_START_CM = 2.5
ADDRESSEE_DASH_CM = 5.0
ADDRESSEE_TEXT_CM = 5.45


def addressees_block(doc) -> None:
    """ "Kính gửi:" for a report addressed upwards: the first addressee on its line, one "- …" line for each
    further addressee, every dash in one column."""
    tag(doc, "{%p for a in addressees %}")
    paragraph = para(
        doc,
        [("{% if loop.first %}Kính gửi:{% endif %}", {}), ("\t- ", {}), ("{{ a }}", {})],
        align=LEFT,
        size=14,
        after=0,
        indent=False,
    )
    fmt = paragraph.paragraph_format
    fmt.left_indent = Cm(ADDRESSEE_TEXT_CM)
    fmt.first_line_indent = Cm(ADDRESSEE_START_CM - ADDRESSEE_TEXT_CM)
    fmt.tab_stops.add_tab_stop(Cm(ADDRESSEE_DASH_CM))
    fmt.tab_stops.add_tab_stop(Cm(ADDRESSEE_TEXT_CM))
    tag(doc, "{%p endfor %}")
    para(doc, "", after=6)


def closing_block(doc) -> None:
    """ "Nơi nhận:" bottom left, the signature block bottom right. The closing paragraph before it stays on
    the signature's page (keep with next), and so does every paragraph of the block."""
    last = [p for p in doc.paragraphs if p.text.strip() and not p.text.startswith("{%")]
    if last:
        keep_with_next(last[-1])
    keep_with_next(para(doc, "", after=0))
    total = text_width(doc) / 360000
    table = layout_table(doc, [total * 0.5, total * 0.5])
    left, right = table.rows[0].cells
    para(left, "Nơi nhận:", align=LEFT, size=12, bold=True, italic=True, after=0, indent=False)
    tag(left, "{%p for r in recipients %}")
    para(left, "- {{ r }}", align=LEFT, size=11, after=0, indent=False)
    tag(left, "{%p endfor %}")
    para(right, "{{ signer.authority }}", align=CENTER, size=14, bold=True, after=0)
    para(right, "{{ signer.title }}", align=CENTER, size=14, bold=True, after=0)
    for _ in range(4):
        para(right, "", align=CENTER, after=0)
    para(right, "{{ signer.name }}", align=CENTER, size=14, bold=True, after=0)
    for cell in (left, right):
        for paragraph in cell.paragraphs[:-1]:
            keep_with_next(paragraph)


def restart_page_numbers(section) -> None:
    """A section (an appendix) numbers its own pages from 1; its first page shows none, like the report's."""
    sect_pr = section._sectPr
    numbering = sect_pr.find(qn("w:pgNumType"))
    if numbering is None:
        numbering = OxmlElement("w:pgNumType")
        following = [sect_pr.find(qn(f"w:{name}")) for name in
                     ("cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi", "rtlGutter",
                      "docGrid")]
        anchor = next((e for e in following if e is not None), None)
        if anchor is not None:
            anchor.addprevious(numbering)
        else:
            sect_pr.append(numbering)
    numbering.set(qn("w:start"), "1")
    section.different_first_page_header_footer = True


def body(doc, text, **kwargs):
    return para(doc, text, **kwargs)


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
    _page(section, landscape=True)
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
