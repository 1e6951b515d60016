"""Documents as the Office prints them: every kind rendered from the full conference, converted to PDF by
LibreOffice (one headless run, as the worker does) and read back with poppler's `pdftotext -layout`."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from tests.documents.conftest import NOW
from webforms.domain.documents import KINDS, build_context, convert_to_pdf, generate_document

# What must never wrap: a date (dd/mm/yyyy) and a recommendation's code (KN.yyyymmdd.nnnn-n).
UNBREAKABLE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b|\bKN\.\d{8}\.\d{4}(?:-\d+)?\b")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,  # noqa: S607
                          check=True, timeout=60).stdout
    return text.split("\f")


@pytest.fixture
def pdfs(full_conference, rules, settings, subjects):
    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        pytest.fail("LibreOffice (soffice) and poppler (pdftotext) are needed: scripts/system-packages.sh")
    conference = full_conference.conference
    documents = {kind: generate_document(conference, kind, rules, settings, NOW, pdf=False, **subjects.get(kind, {}))
                 for kind in KINDS}
    paths = [settings.resolved_documents_dir / documents[kind].path for kind in KINDS]
    converted = convert_to_pdf(paths, timeout=max(settings.soffice_timeout, 120))
    out = {}
    for kind, pdf in zip(KINDS, converted, strict=True):
        assert pdf is not None, f"{kind}: LibreOffice wrote no PDF"
        context = build_context(kind, conference, rules, NOW, base_url="http://localhost", **subjects.get(kind, {}))
        out[kind] = {"pages": _pages(pdf), "context": context, "docx": paths[KINDS.index(kind)]}
        if os.environ.get("DOITHOAI_KEEP_PDF"):  # to look at the pages: pdftoppm -png …
            shutil.copy(pdf, Path(os.environ["DOITHOAI_KEEP_PDF"]) / f"{kind}.pdf")
    return out


def test_every_kind_prints_as_the_office_does(pdfs):
    problems = []
    for kind, item in pdfs.items():
        pages, context = item["pages"], item["context"]
        lines = [line for page in pages for line in page.splitlines()]
        # "Số:" and the place and date on one line (Decree 30/2020, box 4 beside box 3).
        date_line = context["date_line"]
        place = date_line.split(",")[0]
        if not any("Số:" in line and place in line and "ngày" in line for line in lines):
            problems.append(f"{kind}: 'Số:' and '{date_line}' are not on one line")
        # No date or code split across lines, in any table column or paragraph.
        printed_parts = [context.get(key) for key in ("items", "rows", "recommendation", "appendix", "budget")]
        wanted = {m.group(0) for s in _strings(printed_parts) for m in UNBREAKABLE.finditer(s)}
        for token in sorted(wanted):
            if not any(token in line for line in lines):
                problems.append(f"{kind}: {token} is split across lines")
        # The signature block shares its page with the closing paragraph (the one ending "./.").
        # A signer whose name is written in by hand (documents.yaml `signers:`) is found by "Nơi nhận:",
        # which shares the signature block's table row.
        signer = context["signer"]["name"] or "Nơi nhận:"
        (signed,) = [i for i, page in enumerate(pages) if signer in page][:1] or [None]
        if signed is None:
            problems.append(f"{kind}: no signature")
            continue
        # and with body text: the closing paragraph (ending "./.") where there is one, else the table's rows.
        closing = ["Nơi nhận:", *context["recipients"], *context["signer"].values()]
        page_lines = [line.strip() for line in pages[signed].splitlines() if line.strip()]
        body = [line for line in page_lines if not line.isdigit() and not any(
            part.strip() and (part.strip() in line or line in part) for part in closing)]
        ends = [i for i, page in enumerate(pages) if any(x.strip().endswith("./.") for x in page.splitlines())]
        if not body or (ends and signed not in ends):
            problems.append(f"{kind}: the signature page {signed + 1} holds no closing paragraph or body text")
    assert problems == [], "\n".join(problems)


def test_the_agency_name_breaks_where_the_rules_say(pdfs, rules):
    first, second = rules.plan.agency.name.split("\n")
    for kind, item in pdfs.items():
        lines = [line.strip() for line in item["pages"][0].splitlines()]
        at = next(i for i, line in enumerate(lines) if line.startswith(first))
        assert lines[at + 1].startswith(second), (kind, lines[at:at + 2])


def test_addressees_line_up_under_kinh_gui(pdfs):
    for kind in ("results_report", "postponement_report"):
        addressees = pdfs[kind]["context"]["addressees"]
        lines = pdfs[kind]["pages"][0].splitlines()
        rows = [next(line for line in lines if a in line) for a in addressees]
        assert "Kính gửi:" in rows[0]
        dashes = {row.index("- " + a) for row, a in zip(rows, addressees, strict=True)}
        assert len(dashes) == 1, (kind, rows)  # every dash in one column
        assert rows[0].index("Kính gửi:") < dashes.pop()


def test_the_appendix_numbers_its_own_pages(pdfs):
    document = docx.Document(io.BytesIO(pdfs["results_report"]["docx"].read_bytes()))
    main, appendix = document.sections
    numbering = appendix._sectPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}pgNumType")
    assert numbering is not None
    assert numbering.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}start") == "1"
    assert appendix.different_first_page_header_footer
    pages = pdfs["results_report"]["pages"]
    start = next(i for i, page in enumerate(pages) if "Phụ lục I" in page)
    # The appendix's first page shows no number (as page 1 of the report does).
    assert not re.match(r"\s*\d+\s*$", pages[start].splitlines()[0] if pages[start].strip() else "")
