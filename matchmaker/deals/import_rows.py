"""One row of a file of past MOUs and contracts, checked: its cells read into a :class:`Row`
and every problem noted in its report.

:meth:`RowChecker.check` reads the row's kind (MOU or contract), its parties
(:class:`~matchmaker.deals.import_parties.PartyBook`), dates, value, volume and status
(:mod:`matchmaker.deals.import_values`), and the records it names on the platform: its event
(by title, accents and case ignored), the producer's products (by name; the others are kept
in the notes) and, for an MOU, its OCOP product sets and HS codes. The checks across rows
(duplicates, contracts to their MOUs) are in :mod:`matchmaker.deals.importing`.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from matchmaker.catalogue.models import Category, Product
from matchmaker.deals.import_columns import LIMITS
from matchmaker.deals.import_parties import Party, PartyBook
from matchmaker.deals.import_report import Issue, RowReport
from matchmaker.deals.import_values import (
    BadValue,
    contract_status,
    mou_status,
    parse_date,
    parse_quantity,
    parse_reason,
    parse_value,
    record_kind,
)
from matchmaker.deals.models import (
    CLOSED_MOU,
    CloseReason,
    ContractStatus,
    Mou,
    SupplyContract,
)
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.imports.parsing import Table
from matchmaker.organisations.models import Side
from matchmaker.text import fold, normalise, strip_invisible

__all__ = ["Row", "RowChecker"]

_SET_NUMBER = re.compile(r"(\d{1,2})(?:[.,]0+)?")
_LIST_SPLIT = re.compile(r"[;\n]+")


@dataclass(eq=False)
class Row:
    """A row whose cells were read (errors are in its report)."""

    report: RowReport
    kind: str
    producer: Party | None = None
    distributor: Party | None = None
    signed_on: date | None = None
    reference: str | None = None  # an MOU row's own number, a contract row's MOU
    contract_number: str | None = None
    event_id: int | None = None
    value: int | None = None
    volume: Decimal | None = None
    unit: str | None = None
    status: str | None = None
    status_date: date | None = None
    reason: str | None = None
    reason_text: str | None = None
    valid_until: date | None = None
    delivery_from: date | None = None
    delivery_to: date | None = None
    product_ids: list[int] = field(default_factory=list)
    missing_products: list[str] = field(default_factory=list)  # kept in the notes
    category_ids: list[int] = field(default_factory=list)
    notes: str | None = None
    existing_id: int | None = None  # already on the platform: unchanged
    mou_row: "Row | None" = None  # a contract's MOU in this file
    mou_id: int | None = None  # … or on the platform
    contracts: list["Row"] = field(default_factory=list)  # an MOU's new contract rows
    record: Mou | SupplyContract | None = None
    last_at: datetime | None = None  # an MOU's latest history time

    def error(self, field_name: str | None, code: str, value: str = "", **params) -> None:
        """Note an error about a cell (a row code of the report): the file is not saved."""
        self.report.issues.append(Issue(field_name, code, value, params))
        self.report.outcome = "error"

    def notice(self, field_name: str | None, code: str, value: str = "", **params) -> None:
        """Note a notice about a cell: the row is saved all the same."""
        self.report.issues.append(Issue(field_name, code, value, params))

    @property
    def ok(self) -> bool:
        """True while the row has no error."""
        return self.report.outcome != "error"

    @property
    def pair(self):
        """(producer, distributor) as :attr:`Party.ident` (needs both parties)."""
        return (self.producer.ident, self.distributor.ident)


class RowChecker:
    """Checks the rows of one file (``table``) against what the platform holds: ``today``
    is the latest date a signing or status date may have; ``parties`` finds the
    organisations."""

    def __init__(self, table: Table, today: date, parties: PartyBook) -> None:
        self.table = table
        self.today = today
        self.parties = parties
        self.dot_is_decimal = table.kind == "xlsx"
        self.events: dict[str, list[int]] = {}
        self.event_titles: dict[int, str] = {}
        self.ocop_by_number: dict[int, int] = {}
        self.ocop_by_code: dict[str, int] = {}
        self.hs_by_code: dict[str, int] = {}
        self.products: dict[int, dict[str, int]] = {}

    def load(self) -> None:
        """Read the events and categories, when the file has such columns."""
        if "event" in self.table.columns:
            for event_id, title, title_key in db.session.execute(
                    sa.select(Event.id, Event.title, Event.title_key)):
                self.events.setdefault(fold(title_key), []).append(event_id)
                self.event_titles[event_id] = title
        if {"ocop_product_set", "hs_code"} & set(self.table.columns):
            for cat_id, scheme, code, number in db.session.execute(
                    sa.select(Category.id, Category.scheme, Category.code, Category.set_number)):
                if scheme == "hs":
                    self.hs_by_code[code] = cat_id
                else:
                    self.ocop_by_code[fold(code).replace(" ", "")] = cat_id
                    if number is not None:
                        self.ocop_by_number[number] = cat_id

    def check(self, number: int, values: dict[str, str]) -> Row:
        """Row ``number`` of the file, its ``values`` read (field -> text) and checked."""
        report = RowReport(number, producer=normalise(values.get("producer")),
                           distributor=normalise(values.get("distributor")))
        kind = record_kind(values.get("type"), values.get("contract_number"))
        row = Row(report, kind or "mou")
        report.kind = row.kind
        if kind is None:
            row.error("type", "bad_type", values.get("type", ""))
        for name, limit in LIMITS.items():
            if len(normalise(values.get(name))) > limit:
                row.error(name, "too_long", values[name][:60] + "…", limit=limit)
        row.producer = self.parties.find(row, values, "producer", Side.PRODUCER)
        row.distributor = self.parties.find(row, values, "distributor", Side.DISTRIBUTOR)
        if row.producer is not None and row.producer is row.distributor:
            row.error("distributor", "same_party", report.distributor)
        row.signed_on = self._date(row, values, "signed_on", past=True)
        if row.signed_on is None and "signed_on" not in {i.field for i in report.issues}:
            row.error("signed_on", "required")
        report.signed_on = row.signed_on
        row.event_id = self._event(row, values.get("event"))
        row.value = self._value(row, values)
        report.value_vnd = row.value
        try:
            row.volume = parse_quantity(values.get("volume"), self.dot_is_decimal)
        except BadValue as bad:
            row.error("volume", bad.code, values.get("volume", ""))
        row.unit = normalise(values.get("unit"))[:20] or None
        row.notes = strip_invisible(values.get("notes")).strip() or None
        row.status_date = self._date(row, values, "status_date", past=True)
        if row.status_date and row.signed_on and row.status_date < row.signed_on:
            row.error("status_date", "status_before_signed", values["status_date"])
        self._products(row, values.get("products"))
        if row.kind == "mou":
            self._mou(row, values)
        else:
            self._contract(row, values)
        return row

    def _date(self, row: Row, values: dict[str, str], name: str,
              past: bool = False) -> date | None:
        try:
            return parse_date(values.get(name), self.today if past else None)
        except BadValue as bad:
            row.error(name, bad.code, values.get(name, ""))
            return None

    def _event(self, row: Row, text: str | None) -> int | None:
        if not (text or "").strip():
            return None
        ids = self.events.get(fold(text), [])
        if len(ids) != 1:
            row.error("event", "ambiguous_event" if ids else "unknown_event", text)
            return None
        return ids[0]

    def _value(self, row: Row, values: dict[str, str]) -> int | None:
        for name, scale in (("value_vnd", 1), ("value_million_vnd", 10**6)):
            if values.get(name):
                try:
                    return parse_value(values[name], scale, self.dot_is_decimal)
                except BadValue as bad:
                    row.error(name, bad.code, values[name])
                    return None
        return None

    def _products(self, row: Row, text: str | None) -> None:
        names = [normalise(n) for n in _LIST_SPLIT.split(text or "") if normalise(n)]
        if not names or row.producer is None:
            return
        known = {}
        if row.producer.org_id is not None:
            known = self.products.get(row.producer.org_id)
            if known is None:
                known = self.products[row.producer.org_id] = dict(db.session.execute(
                    sa.select(Product.name_key, Product.id)
                    .where(Product.organisation_id == row.producer.org_id)).all())
        missing = []
        for name in names:
            product_id = known.get(fold(name)[:255])
            if product_id is None:
                missing.append(name)
            elif product_id not in row.product_ids:
                row.product_ids.append(product_id)
        if missing:
            row.missing_products = missing
            row.notice("products", "products_not_found", names="; ".join(missing))

    def _categories(self, row: Row, values: dict[str, str]) -> None:
        for name in ("ocop_product_set", "hs_code"):
            for text in re.split(r"[;,\n]+", values.get(name, "")):
                text = text.strip()
                if not text:
                    continue
                if name == "hs_code":
                    found = self.hs_by_code.get(re.sub(r"[.\s]", "", text))
                else:
                    match = _SET_NUMBER.fullmatch(text)
                    found = (self.ocop_by_number.get(int(match.group(1))) if match
                             else self.ocop_by_code.get(fold(text).replace(" ", "")))
                if found is None:
                    row.error(name, "unknown_product_set" if name == "ocop_product_set"
                              else "unknown_hs_code", text)
                elif found not in row.category_ids:
                    row.category_ids.append(found)

    def _mou(self, row: Row, values: dict[str, str]) -> None:
        row.reference = normalise(values.get("mou_reference")) or None
        row.report.reference = row.reference or ""
        for name in ("contract_number", "delivery_from", "delivery_to"):
            if values.get(name):
                row.error(name, "contract_only", values[name])
        row.valid_until = self._date(row, values, "valid_until")
        if row.valid_until and row.signed_on and row.valid_until < row.signed_on:
            row.error("valid_until", "valid_before_signed", values["valid_until"])
        self._categories(row, values)
        written = values.get("status")
        if written:
            row.status = mou_status(written)
            if row.status is None:
                row.error("status", "bad_mou_status", written)
        reason = values.get("close_reason", "")
        if row.status in CLOSED_MOU:
            if not reason.strip():
                row.error("close_reason", "reason_required")
            else:
                row.reason, row.reason_text = self._reason(row, reason)
        elif reason.strip():
            row.notice("close_reason", "reason_ignored", reason)

    def _reason(self, row: Row, text: str) -> tuple[str, str | None]:
        found = parse_reason(text)
        if found is None:
            text = normalise(text)
            row.notice("close_reason", "reason_as_other", text)
            return CloseReason.OTHER.value, text
        return found

    def _contract(self, row: Row, values: dict[str, str]) -> None:
        row.contract_number = normalise(values.get("contract_number")) or None
        row.reference = normalise(values.get("mou_reference")) or None
        row.report.reference = row.contract_number or ""
        if row.contract_number is None:
            row.error("contract_number", "required")
        if row.value is None and not any(i.field in ("value_vnd", "value_million_vnd")
                                         for i in row.report.issues):
            row.error("value_vnd", "required")
        if values.get("valid_until"):
            row.error("valid_until", "mou_only", values["valid_until"])
        if values.get("ocop_product_set") or values.get("hs_code"):
            row.notice("ocop_product_set" if values.get("ocop_product_set") else "hs_code",
                       "categories_ignored")
        row.delivery_from = self._date(row, values, "delivery_from")
        row.delivery_to = self._date(row, values, "delivery_to")
        if row.delivery_from and row.delivery_to and row.delivery_to < row.delivery_from:
            row.error("delivery_to", "delivery_order", values["delivery_to"])
        if row.delivery_from and row.signed_on and row.delivery_from < row.signed_on:
            row.error("delivery_from", "delivery_before_signed", values["delivery_from"])
        written = values.get("status")
        if written:
            row.status = contract_status(written)
            if row.status is None:
                row.error("status", "bad_contract_status", written)
        reason = normalise(values.get("close_reason"))
        if row.status in (ContractStatus.TERMINATED, ContractStatus.CANCELLED):
            if not reason:
                row.error("close_reason", "end_reason_required")
            row.reason = reason or None
        elif reason:
            row.notice("close_reason", "reason_ignored", reason)

