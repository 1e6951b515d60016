"""The outgoing register (sổ đăng ký văn bản đi, Decree 30/2020 art. 15 and Appendix IV).

Numbers run per agency and calendar year (local time), from 01 on 1 January, and are given at issue.
`allocate_number` bumps the (agency, year) counter row inside the issuing transaction: on PostgreSQL the
row stays locked until that transaction ends, on SQLite the transaction holds the database's write lock
(BEGIN IMMEDIATE), so two issues never share a number, and a failed issue rolls its number back with it:
the register has no gaps. A number given to a document later withdrawn stays in the register with the
reason.
"""

from __future__ import annotations

import datetime as dt
import io

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.sql import dialect_insert
from webforms.extensions import db
from webforms.models import RegisterCounter, RegisterEntry


def agency_code(rules: Rules) -> str:
    """The register's agency: the issuing agency's abbreviation (plan.yaml agency.abbreviation)."""
    return rules.plan.agency.abbreviation


def register_year(now: dt.datetime, rules: Rules) -> int:
    return now.astimezone(rules.plan.timezone).year


def allocate_number(agency: str, year: int) -> int:
    """The next number of `agency`'s register for `year`, in the caller's transaction (see the module)."""
    statement = (
        dialect_insert(db.session)(RegisterCounter)
        .values(agency=agency, year=year, last=1)
        .on_conflict_do_update(
            index_elements=["agency", "year"], set_={"last": RegisterCounter.last + 1}
        )
        .returning(RegisterCounter.last)
    )
    return db.session.execute(statement).scalar_one()


def entries(year: int, agency: str | None = None) -> list[RegisterEntry]:
    query = select(RegisterEntry).where(RegisterEntry.year == year)
    if agency is not None:
        query = query.where(RegisterEntry.agency == agency)
    return list(db.session.scalars(query.order_by(RegisterEntry.agency, RegisterEntry.number)))


def entry_row(entry: RegisterEntry) -> dict:
    """One register line as plain data (the `register list --json` contract)."""
    return {
        "number": entry.number,
        "symbol": entry.symbol,
        "number_text": f"{entry.number:02d}/{entry.symbol}",
        "kind": entry.kind,
        "date": entry.issued_on.isoformat(),
        "summary": entry.summary,
        "signer": entry.signer,
        "sha256": entry.sha256,
        "recipients": list(entry.recipients or []),
        "state": entry.state,
        "reason": entry.reason,
        "document_id": entry.document_id,
    }


# The columns of the register as the văn thư keeps it (Decree 30/2020, Appendix IV, mẫu sổ đăng ký văn
# bản đi): the headings are the decree's.
REGISTER_COLUMNS = (
    ("Số, ký hiệu văn bản", 22),
    ("Ngày, tháng văn bản", 14),
    ("Tên loại và trích yếu nội dung văn bản", 50),
    ("Người ký", 22),
    ("Nơi nhận văn bản", 40),
    ("Đơn vị, người nhận bản lưu", 18),
    ("Số lượng bản", 8),
    ("Ngày chuyển", 12),
    ("Ký nhận", 10),
    ("Ghi chú", 40),
)


def register_xlsx(rows: list[dict], *, title: str, kind_labels: dict[str, str] | None = None) -> bytes:
    """The register of `rows` (entry_row dicts) as an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    labels = kind_labels or {}
    book = Workbook()
    sheet = book.active
    sheet.title = "So van ban di"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([heading for heading, _ in REGISTER_COLUMNS])
    for index, (_, width) in enumerate(REGISTER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        cell = sheet.cell(row=2, column=index)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in rows:
        date = dt.date.fromisoformat(row["date"])
        recipients = "\n".join(r for r in row["recipients"] if not r.startswith("Lưu"))
        archive = next((r.removeprefix("Lưu:").strip() for r in row["recipients"] if r.startswith("Lưu")), "")
        note = f"Đã thu hồi: {row['reason']}" if row["state"] == "withdrawn" else f"SHA-256: {row['sha256']}"
        kind = labels.get(row["kind"], row["kind"])
        summary = f"{kind}: {row['summary']}" if row["summary"] else kind
        number, day = row["number_text"], date.strftime("%d/%m/%Y")
        sheet.append([number, day, summary, row["signer"], recipients, archive, 1, "", "", note])
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
