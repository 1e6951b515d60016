"""The parts every template in doc_templates/ is built from (Decree 30/2020/NĐ-CP form): the page and its
styles, paragraphs and docxtpl tags, tables, and the blocks every document shares (header, title,
"Kính gửi", closing and signature). build_templates.py and report_templates.py compose them."""

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


def set_page(section, landscape: bool) -> None:
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
    set_page(doc.sections[0], landscape)
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
