"""Participant exports: XLSX (openpyxl) and CSV (UTF-8 with BOM), one row per delegate.

Both formats hold the same cells (:func:`participant_rows`). Text that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, or a tab / carriage return) gets
a leading apostrophe (CSV/formula injection, OWASP). Times are Vietnam local time: real
date-time cells in XLSX, ``dd/mm/yyyy HH:MM`` text in CSV. The CSV starts with a UTF-8 BOM
so that Excel reads the Vietnamese letters correctly.
"""

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from matchmaker.events.labels import SIDE_LABELS, STATUS_LABELS
from matchmaker.events.models import Event, Registration, RegistrationDelegate
from matchmaker.organisations.divisions import province_name
from matchmaker.organisations.identifiers import format_phone, format_tax_code
from matchmaker.text import slug
from matchmaker.timeutil import to_local

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
XLSX_DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Column widths in characters (XLSX), in the order of headers().
WIDTHS = (40, 16, 16, 14, 28, 24, 16, 20, 50, 18, 18)
DATETIME_COLUMNS = (9, 10)  # registered at, checked in at (0-based)

Cell = str | datetime | None


def headers() -> list[str]:
    """Column titles in the user's language (call inside a request)."""
    return [_("Organisation"), _("Tax code (MST)"), _("Side"), _("Status"), _("Delegate"),
            _("Job title"), _("Phone"), _("Province"), _("Products or needs"),
            _("Registered at"), _("Checked in at")]


def neutralise(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula
    (CSV only: XLSX cells are typed as text instead, so nothing visible is added)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _local(dt: datetime | None) -> datetime | None:
    # Excel has no time zones: the cell holds Vietnam wall-clock time, naive.
    return to_local(dt).replace(tzinfo=None) if dt is not None else None


def participant_rows(rows: Sequence[tuple[RegistrationDelegate | None, Registration]],
                     titles: dict[int, list[str]]) -> list[list[Cell]]:
    """Cells for each ``(delegate, registration)`` (see
    :func:`matchmaker.events.participants.delegate_rows`); ``titles`` maps a registration
    id to what it brings. Text as entered (the writers neutralise formulas); times are naive
    Vietnam local time."""
    out = []
    for delegate, registration in rows:
        org = registration.organisation
        text = [
            org.name, format_tax_code(org.tax_code),
            str(SIDE_LABELS.get(registration.side, registration.side)),
            str(STATUS_LABELS.get(registration.status, registration.status)),
            delegate.full_name if delegate else "",
            (delegate.job_title or "") if delegate else "",
            format_phone(delegate.phone) if delegate else "",
            province_name(org.province_code),
            "; ".join(titles.get(registration.id, [])),
        ]
        out.append([*text, _local(registration.queued_at), _local(registration.checked_in_at)])
    return out


def to_csv(header: list[str], rows: list[list[Cell]]) -> bytes:
    """CSV bytes, UTF-8 with BOM, CRLF line ends (what Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([value.strftime(DATETIME_FORMAT) if isinstance(value, datetime)
                         else neutralise(value or "") for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(title: str, header: list[str], rows: list[list[Cell]]) -> bytes:
    """XLSX bytes: one sheet, bold frozen header row, set column widths, an autofilter."""
    workbook = Workbook()
    sheet = workbook.active
    # Sheet names: at most 31 characters, none of []:*?/\ .
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet1"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([value if value != "" else None for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # openpyxl makes "=…" a formula: typed as text it is shown, never run.
                cell.data_type = "s"
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for column in DATETIME_COLUMNS:
        letter = get_column_letter(column + 1)
        for cell in sheet[letter][1:]:
            cell.number_format = XLSX_DATETIME_FORMAT
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(event: Event, fmt: str, everyone: bool) -> tuple[str, str]:
    """``(ascii_name, utf8_name)`` of the download, e.g. ``participants-hoi-nghi-ocop.xlsx``
    and the same with the event title in Vietnamese for RFC 5987 ``filename*``."""
    base = slug(event.title)[:60].strip("-") or f"event-{event.id}"
    kind = "registrations" if everyone else "participants"
    return f"{kind}-{base}.{fmt}", f"{kind}-{event.title}.{fmt}"


def content_disposition(ascii_name: str, utf8_name: str) -> str:
    """``attachment`` with a plain ASCII ``filename`` and an RFC 5987 ``filename*``."""
    safe = "".join(ch for ch in utf8_name if ch.isprintable() and ch not in '/\\"')
    return f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(safe)}'
