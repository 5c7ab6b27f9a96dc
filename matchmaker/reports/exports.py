"""Report tables as XLSX (openpyxl) and CSV (UTF-8 with BOM) — the cells the page shows.

XLSX: one sheet per table (a workbook of every table, or one table), bold frozen header row,
numbers as numbers (đồng and counts ``#,##0``, percentages and days ``0.0``), text cells typed
as text so that nothing starting with ``=`` is ever run as a formula. CSV: one table, header
row first, numbers written plainly (``1500000``, ``33.3``), text neutralised against formula
injection (a leading apostrophe, as the participant exports do), CRLF line ends and a BOM so
that Excel reads the Vietnamese letters.

The formula guard, MIME types and ``Content-Disposition`` come from
:mod:`matchmaker.events.exports` (generic helpers).
"""

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from matchmaker.events.exports import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    content_disposition,
    neutralise,
)
from matchmaker.reports.tables import Table, plain
from matchmaker.text import slug

__all__ = ["CSV_MIMETYPE", "XLSX_MIMETYPE", "content_disposition", "download_name", "to_csv",
           "to_xlsx"]

NUMBER_FORMATS = {"count": "#,##0", "vnd": "#,##0", "percent": "0.0", "days": "0.0"}
TEXT_WIDTH, NUMBER_WIDTH = 44, 20


def _csv_value(value) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def to_csv(table: Table) -> bytes:
    """The table as CSV bytes (UTF-8 with BOM, CRLF); the total row last."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.title) for c in table.columns])
    for row in table.all_rows():
        writer.writerow([_csv_value(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, used: set[str]) -> str:
    # At most 31 characters, none of []:*?/\ , unique within the workbook.
    base = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31].strip() or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _write_sheet(sheet, table: Table) -> None:
    sheet.append([c.title for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    for row in table.all_rows():
        values = [plain(v) for v in row]
        sheet.append(values)
        for cell, value, column in zip(sheet[sheet.max_row], row, table.columns, strict=True):
            kind = value[1] if isinstance(value, tuple) else column.kind
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed as text: shown, never run as a formula
            elif kind in NUMBER_FORMATS and cell.value is not None:
                cell.number_format = NUMBER_FORMATS[kind]
    if table.total is not None:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = (
            TEXT_WIDTH if column.kind == "text" else NUMBER_WIDTH)
    sheet.freeze_panes = "A2"


def to_xlsx(tables: list[Table]) -> bytes:
    """XLSX bytes with one sheet per table, in order (sheet names from the titles)."""
    workbook = Workbook()
    used: set[str] = set()
    for index, table in enumerate(tables):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = _sheet_title(table.title, used)
        _write_sheet(sheet, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download_name(subject: str, table: str | None, fmt: str) -> tuple[str, str]:
    """``(ascii_name, utf8_name)``, e.g. ``conversion-hoi-nghi-ocop-funnel.csv`` and the
    same with the subject in Vietnamese (for RFC 5987 ``filename*``)."""
    tail = f"-{table}" if table else ""
    base = slug(subject)[:60].strip("-") or "report"
    return f"conversion-{base}{tail}.{fmt}", f"conversion-{subject}{tail}.{fmt}"
