"""The values in one row of a deals file: row types, statuses, close reasons, dates, amounts
in đồng and volumes, read as Vietnamese spreadsheets write them.

Words (types, statuses, reasons) are looked up folded like headers (:func:`word_key`: case,
accents and punctuation do not matter) in :data:`TYPE_WORDS`, :data:`MOU_STATUS_WORDS`,
:data:`CONTRACT_STATUS_WORDS` and :data:`REASON_WORDS`. Dates are ``dd/mm/yyyy``,
``yyyy-mm-dd`` or Excel day numbers (:func:`parse_date`); amounts ``1.500.000.000``,
``1,5 tỷ``, ``500 triệu`` (:func:`parse_value`); volumes ``2.000`` or ``2,5``
(:func:`parse_quantity`). A cell that cannot be used raises :class:`BadValue`. Nothing here
touches the database.
"""

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from matchmaker.deals.models import CloseReason, ContractStatus, MouStatus
from matchmaker.imports.parsing import header_key
from matchmaker.money import InvalidAmount, parse_vnd
from matchmaker.text import fold, normalise

__all__ = ["CONTRACT_STATUS_WORDS", "MOU_STATUS_WORDS", "REASON_WORDS", "TYPE_WORDS",
           "BadValue", "contract_status", "mou_status", "parse_date", "parse_quantity",
           "parse_reason", "parse_value", "record_kind", "word_key"]

#: Written forms of the row types, statuses and close reasons (folded like headers).
TYPE_WORDS = {
    "mou": ("mou", "bbgn", "bien ban ghi nho", "ghi nho", "bien ban", "bien ban ghi nho hop tac",
            "memorandum", "memorandum of understanding"),
    "contract": ("contract", "supply contract", "hop dong", "hd", "hop dong cung ung",
                 "hop dong tieu thu", "hop dong mua ban", "hop dong nguyen tac"),
}
MOU_STATUS_WORDS = {
    MouStatus.SIGNED: ("signed", "da ky", "da ki", "ky", "da ky ket"),
    MouStatus.NEGOTIATING: ("negotiating", "in negotiation", "dang dam phan", "dam phan",
                            "dang trao doi"),
    MouStatus.CONVERTED: ("converted", "da ky hop dong", "da ki hop dong", "da ky hd",
                          "chuyen thanh hop dong", "da chuyen thanh hop dong"),
    MouStatus.LAPSED: ("lapsed", "het hieu luc", "khong tien trien",
                       "het hieu luc khong tien trien", "het han", "khong thanh cong"),
    MouStatus.CANCELLED: ("cancelled", "canceled", "da huy", "huy", "huy bo", "da huy bo"),
}
CONTRACT_STATUS_WORDS = {
    ContractStatus.SIGNED: ("signed", "da ky", "da ki", "ky", "da ky ket"),
    ContractStatus.DELIVERING: ("delivering", "in delivery", "dang giao hang", "dang giao",
                                "dang thuc hien"),
    ContractStatus.COMPLETED: ("completed", "complete", "hoan thanh", "da hoan thanh",
                               "da thanh ly", "thanh ly"),
    ContractStatus.TERMINATED: ("terminated", "cham dut", "da cham dut"),
    ContractStatus.CANCELLED: ("cancelled", "canceled", "da huy", "huy", "huy bo",
                               "da huy bo"),
}
REASON_WORDS = {
    CloseReason.PRICE: ("price", "gia", "gia ca", "ve gia"),
    CloseReason.VOLUME: ("volume", "capacity", "volume capacity", "san luong",
                         "nang luc cung ung", "san luong nang luc cung ung", "khoi luong"),
    CloseReason.CERTIFICATION: ("certification", "certification missing", "chung nhan",
                                "thieu chung nhan"),
    CloseReason.LOGISTICS: ("logistics", "cold chain", "logistics cold chain", "van chuyen",
                            "chuoi lanh", "van chuyen chuoi lanh"),
    CloseReason.PAYMENT: ("payment", "payment terms", "thanh toan", "dieu kien thanh toan"),
    CloseReason.QUALITY: ("quality", "chat luong"),
    CloseReason.NO_RESPONSE: ("no response", "khong phan hoi", "khong tra loi"),
    CloseReason.OTHER: ("other", "khac", "ly do khac"),
}


def _words(table: dict) -> dict[str, str]:
    return {word: str(code) for code, words in table.items() for word in words}


_TYPES = _words(TYPE_WORDS)
_MOU_STATUSES = _words(MOU_STATUS_WORDS)
_CONTRACT_STATUSES = _words(CONTRACT_STATUS_WORDS)
_REASONS = _words(REASON_WORDS)

#: Dates before this year are typing mistakes.
MIN_YEAR = 2000
#: Volumes from this on are typing mistakes.
MAX_VOLUME = Decimal(10) ** 13
_DATE_RES = (
    (re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})"), ("d", "m", "y")),
    (re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"),
     ("y", "m", "d")),
)
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_SERIAL = re.compile(r"\d{5}")  # 36526 = 1 Jan 2000, 73050 = 31 Dec 2099
_SCALES = {"ty": 10**9, "ti": 10**9, "billion": 10**9, "trieu": 10**6, "tr": 10**6,
           "million": 10**6, "nghin": 10**3, "ngan": 10**3, "thousand": 10**3}
_SCALED = re.compile(r"([0-9][0-9., ]*?)\s*(ty|ti|billion|trieu|tr|million|nghin|ngan|"
                     r"thousand)(?:\s*(?:dong|d|vnd))?")


class BadValue(ValueError):
    """A cell that cannot be used: ``code`` (a key of
    :data:`matchmaker.deals.import_report.MESSAGES`) and ``params``."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def word_key(text: str | None) -> str:
    """A cell folded for looking up words: ``"Đã ký"`` -> ``"da ky"``."""
    return header_key(text or "")


def record_kind(written: str | None, contract_number: str | None) -> str | None:
    """What a row holds, ``"mou"`` or ``"contract"``: as its ``type`` cell (``written``)
    says or, with no type, a contract when it has a contract number. None for a type that
    is not in :data:`TYPE_WORDS`."""
    if written:
        return _TYPES.get(word_key(written))
    return "contract" if contract_number else "mou"


def mou_status(written: str) -> str | None:
    """The MOU status a cell names (:data:`MOU_STATUS_WORDS`), or None."""
    return _MOU_STATUSES.get(word_key(written))


def contract_status(written: str) -> str | None:
    """The contract status a cell names (:data:`CONTRACT_STATUS_WORDS`), or None."""
    return _CONTRACT_STATUSES.get(word_key(written))


def parse_reason(text: str | None) -> tuple[str, str | None] | None:
    """The close reason a cell names, as ``(code, text)``: ``("price", None)`` for a word of
    :data:`REASON_WORDS` (``"Giá"``), ``("price", "too low")`` for a word, a colon and more
    (``"Giá: too low"``). None when it names no reason (the caller records it as "other")."""
    text = normalise(text)
    code = _REASONS.get(word_key(text))
    if code is not None:
        return code, None
    head, sep, rest = text.partition(":")
    code = _REASONS.get(word_key(head)) if sep else None
    if code is not None and rest.strip():
        return code, rest.strip()
    return None


def parse_date(text: str | None, latest: date | None = None) -> date | None:
    """``dd/mm/yyyy`` (also with ``-`` or ``.``), ``yyyy-mm-dd`` (what XLSX date cells give)
    or an Excel day number; from 1 Jan :data:`MIN_YEAR` to ``latest`` (default: the end of
    2099). Empty is None.

    Raises:
        BadValue: ``bad_date``, ``date_range``.
    """
    text = (text or "").strip()
    if not text:
        return None
    found = None
    if _EXCEL_SERIAL.fullmatch(text):
        found = _EXCEL_EPOCH + timedelta(days=int(text))
    else:
        for pattern, order in _DATE_RES:
            match = pattern.fullmatch(text)
            if match:
                parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
                try:
                    found = date(parts["y"], parts["m"], parts["d"])
                except ValueError:
                    raise BadValue("bad_date") from None
                break
    if found is None:
        raise BadValue("bad_date")
    if not date(MIN_YEAR, 1, 1) <= found <= (latest or date(2099, 12, 31)):
        raise BadValue("date_range")
    return found


def parse_quantity(text: str | None, dot_is_decimal: bool = False) -> Decimal | None:
    """A positive number with at most three decimals; empty is None.

    Vietnamese writing: ``","`` is the decimal mark and ``"."`` groups thousands when it is
    followed by groups of exactly three digits (``"2.000"`` = 2000, ``"2,5"`` = 2.5,
    ``"1.234,5"`` = 1234.5); ``"1,234,567"`` (several comma groups) and ``"1,234.5"`` are
    read the English way. ``dot_is_decimal`` (XLSX number cells, which come as ``"2.125"``)
    makes a lone dot the decimal mark.

    Raises:
        BadValue: ``bad_volume``.
    """
    text = "".join((text or "").split())
    if not text:
        return None
    if not re.fullmatch(r"[0-9.,]+", text):
        raise BadValue("bad_volume")
    if "." in text and "," in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if decimal_mark == "," else ","
        whole, _sep, fraction = text.rpartition(decimal_mark)
        if not re.fullmatch(rf"\d{{1,3}}(\{group}\d{{3}})*", whole):
            raise BadValue("bad_volume")
        number = whole.replace(group, "") + "." + fraction
    elif "," in text:
        number = (text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3}){2,}", text)
                  else text.replace(",", "."))
    elif "." in text and not dot_is_decimal and re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        number = text.replace(".", "")
    else:
        number = text
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise BadValue("bad_volume") from None
    if not value.is_finite() or value <= 0 or value >= MAX_VOLUME or \
            value != value.quantize(Decimal("0.001")):
        raise BadValue("bad_volume")
    return value.normalize() if value == value.to_integral() else value


def parse_value(text: str | None, scale: int = 1, dot_is_decimal: bool = False) -> int | None:
    """Whole đồng from ``"1.500.000.000"``, ``"1500000000 đ"``, ``"1,5 tỷ"``,
    ``"500 triệu"``; with ``scale`` (a "million VND" column) ``"1.500"`` or ``"1,5"`` are
    that many millions. Zero is allowed; empty is None.

    Raises:
        BadValue: ``bad_value``.
    """
    text = normalise(text)
    if not text:
        return None
    match = _SCALED.fullmatch(fold(text))
    if match:
        text, scale = match.group(1), scale * _SCALES[match.group(2)]
    if scale == 1:
        if dot_is_decimal and re.fullmatch(r"\d+\.0+", text):
            text = text.split(".")[0]  # an XLSX number cell holding 1500000.0
        try:
            return parse_vnd(text)
        except InvalidAmount:
            raise BadValue("bad_value") from None
    if text.strip() in ("0", "0,0", "0.0"):
        return 0
    try:
        amount = parse_quantity(text, dot_is_decimal) * scale
    except BadValue:
        raise BadValue("bad_value") from None
    if amount != amount.to_integral() or amount > 10**15:
        raise BadValue("bad_value")
    return int(amount)

