"""Reading a producers file: CSV or XLSX with a header row, recognised by content.

The file's name and declared type are ignored. An XLSX workbook is a ZIP archive (signature
``PK\\x03\\x04``, ECMA-376 Part 2) read with openpyxl, first sheet only. Anything else must be
text: UTF-8 (with or without BOM), UTF-16 with a BOM (Excel's "Unicode Text"), or Windows
code page 1258, the Vietnamese ANSI code page Excel uses for "CSV" on Vietnamese Windows.
Cells are separated by commas, semicolons or tabs, whichever the header row uses most.

The first non-blank row is the header. Column names are matched ignoring case, diacritics,
spaces and punctuation, in English or Vietnamese (see :data:`FIELDS`); unknown columns are
ignored and listed. Row numbers are those a spreadsheet shows: the header row is 1 when it is
the first line.
"""

import csv
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from matchmaker.text import fold

__all__ = ["FIELDS", "MAX_FILE_BYTES", "MAX_ROWS", "REQUIRED", "FileError", "Table", "read_table"]

#: Largest file accepted (the upload limit, MAX_CONTENT_LENGTH, is the same).
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Most data rows in one file; larger lists are split (one import stays one transaction).
MAX_ROWS = 20_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 5_000

#: Field -> accepted column names (folded, words joined by one space). The first is the
#: documented English name.
FIELDS: dict[str, tuple[str, ...]] = {
    "product_name": ("product name", "product", "ten san pham", "san pham", "ten sp"),
    "producer_organisation": (
        "producer organisation", "producer organization", "producer", "organisation",
        "organization", "chu the", "chu the san xuat", "ten chu the", "co so san xuat",
        "co so", "doanh nghiep", "ten doanh nghiep", "nha san xuat", "don vi san xuat",
        "to chuc", "ten to chuc"),
    "district": ("old district pre 2025", "district", "huyen", "quan huyen", "huyen cu",
                 "quan huyen cu", "huyen thi thanh pho"),
    "address": ("address", "dia chi", "dia chi cu"),
    "province": ("province", "tinh", "tinh thanh", "tinh thanh pho"),
    "ocop_stars": ("ocop stars", "stars", "so sao", "sao", "hang sao", "xep hang", "xep hang sao",
                   "sao ocop"),
    "evaluation_year": ("evaluation year", "year", "nam", "nam danh gia", "nam cong nhan"),
    "decision_ref": ("decision ref", "decision", "quyet dinh", "so quyet dinh",
                     "quyet dinh cong nhan"),
    "status": ("status", "trang thai"),
    "ocop_product_set": ("suggested ocop product set no", "ocop product set", "ocop set",
                         "product set", "bo san pham", "bo san pham ocop", "nhom san pham"),
    "hs_code": ("hs code", "hs", "ma hs"),
    "unit": ("unit", "don vi tinh", "dvt"),
    "price_min_vnd": ("price min vnd", "price min", "gia thap nhat", "gia tu", "gia toi thieu"),
    "price_max_vnd": ("price max vnd", "price max", "gia cao nhat", "gia den", "gia toi da"),
    "tax_code": ("tax code", "mst", "ma so thue"),
    "phone": ("phone", "dien thoai", "so dien thoai", "sdt"),
    "description": ("description", "mo ta", "mo ta san pham"),
    "note": ("note", "notes", "ghi chu"),
    "source_url": ("source url", "source", "nguon", "link"),
}
REQUIRED = ("product_name", "producer_organisation")
_ALIASES = {alias: name for name, aliases in FIELDS.items() for alias in aliases}

_XLSX_SIGNATURE = b"PK\x03\x04"
_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls (Excel 97-2003), .doc
_OTHER_SIGNATURES = (b"%PDF-", b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"\x1f\x8b", b"Rar!",
                     b"7z\xbc\xaf")
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Characters a cp1258 decoding of real Vietnamese text produces besides ASCII: letters with
# Vietnamese marks, and the typographic punctuation Windows keyboards insert.
_CP1258_PUNCTUATION = frozenset("–—‘’“”•…°×€№«»·")


class FileError(ValueError):
    """A file that cannot be imported at all; nothing is changed.

    ``code`` (translated by :data:`matchmaker.imports.reasons.FILE_ERRORS`): ``empty``,
    ``too_large``, ``old_excel`` (.xls), ``not_table`` (PDF, image, other binary),
    ``bad_xlsx`` (a ZIP that openpyxl cannot read as a workbook), ``encoding`` (text in an
    unknown encoding), ``no_header``, ``missing_columns``, ``duplicate_column``, ``no_rows``,
    ``too_many_rows``. ``params`` fills the message (``columns``, ``limit`` …).
    """

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Table:
    """A file read and its columns recognised.

    ``columns``: field -> the header as written; ``ignored``: headers not recognised;
    ``rows``: ``(row number, {field: text})`` for every non-blank row under the header,
    text stripped, absent fields missing from the dict; ``kind``: ``csv`` or ``xlsx``;
    ``encoding``: the text encoding used (CSV only).
    """

    columns: dict[str, str]
    ignored: tuple[str, ...]
    rows: list[tuple[int, dict[str, str]]]
    kind: str
    encoding: str | None = None


def header_key(text: str) -> str:
    """A column name folded for matching: ``"Tên sản phẩm"`` -> ``"ten san pham"``,
    ``"producer_organisation"`` -> ``"producer organisation"``."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 2021 and 4 as 2021.0 and 4.0
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()[:MAX_CELL_CHARS]


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it does not read; they do not matter.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise FileError("bad_xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
                yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _plausible_cp1258(text: str) -> bool:
    for ch in text:
        if ch.isascii() or ch in _CP1258_PUNCTUATION:
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        if not (base.isascii() and base.isalpha()) and ch not in "đĐ":
            return False
    return True


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise FileError("encoding") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258"))
    except UnicodeDecodeError:
        raise FileError("encoding") from None
    if not _plausible_cp1258(text):
        raise FileError("encoding")
    return text, "cp1258"


def _csv_rows(data: bytes) -> tuple[list[list[str]], str]:
    try:
        text, encoding = _decode(data)
    except UnicodeDecodeError:
        raise FileError("encoding") from None
    if "\x00" in text:
        raise FileError("not_table")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [[cell.strip()[:MAX_CELL_CHARS] for cell in row[:MAX_COLUMNS]]
                for row in _limited(reader)]
    except csv.Error:
        raise FileError("not_table") from None
    return rows, encoding


def _limited(rows):
    """Yield rows until one too many non-blank ones have been seen (the caller then refuses)."""
    seen = 0
    for row in rows:
        yield row
        if any(cell.strip() for cell in row):
            seen += 1
            if seen > MAX_ROWS + 1:  # the header plus MAX_ROWS rows
                return


def _map_header(header: list[str], aliases: dict[str, str] = _ALIASES,
                ) -> tuple[dict[str, int], dict[str, str], list[str]]:
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for position, name in enumerate(header):
        if not name:
            continue
        field = aliases.get(header_key(name))
        if field is None:
            ignored.append(name)
        elif field in index:
            raise FileError("duplicate_column", columns=f"{written[field]}, {name}")
        else:
            index[field] = position
            written[field] = name
    return index, written, ignored


def read_table(data: bytes, fields: dict[str, tuple[str, ...]] = FIELDS,
               required: tuple[str, ...] = REQUIRED) -> Table:
    """Read ``data`` (the file's bytes) into a :class:`Table`.

    ``fields`` / ``required`` name the columns (default: the producers file's,
    :data:`FIELDS` and :data:`REQUIRED`); other imports pass their own, in the same shape.

    Raises:
        FileError: the file as a whole cannot be used (see its codes); e.g.
            ``missing_columns`` with ``columns`` naming the required columns not found.
    """
    if not data or not data.strip():
        raise FileError("empty")
    if len(data) > MAX_FILE_BYTES:
        raise FileError("too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    if data.startswith(_OLE2_SIGNATURE):
        raise FileError("old_excel")
    if data.startswith(_OTHER_SIGNATURES):
        raise FileError("not_table")
    if data.startswith(_XLSX_SIGNATURE):
        kind, encoding = "xlsx", None
        raw_rows = list(_limited(_xlsx_rows(data)))
    else:
        kind = "csv"
        raw_rows, encoding = _csv_rows(data)

    numbered = [(number, row) for number, row in enumerate(raw_rows, start=1)
                if any(cell for cell in row)]
    if not numbered:
        raise FileError("empty")
    _header_number, header = numbered[0]
    aliases = _ALIASES if fields is FIELDS else {
        alias: name for name, names in fields.items() for alias in names}
    index, written, ignored = _map_header(header, aliases)
    if not index:
        raise FileError("no_header", columns=", ".join(fields[f][0].replace(" ", "_")
                                                       for f in required))
    missing = [f for f in required if f not in index]
    if missing:
        raise FileError("missing_columns", columns=", ".join(
            fields[f][0].replace(" ", "_") for f in missing))
    body = numbered[1:]
    if not body:
        raise FileError("no_rows")
    if len(body) > MAX_ROWS:
        raise FileError("too_many_rows", limit=MAX_ROWS)
    rows = []
    for number, row in body:
        values = {field: row[i].strip() for field, i in index.items() if i < len(row)}
        rows.append((number, {k: v for k, v in values.items() if v}))
    return Table(written, tuple(ignored), rows, kind, encoding)
