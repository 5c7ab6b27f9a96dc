"""The report of an import of past MOUs and contracts: what each row code means, and the
report's shape (one :class:`RowReport` per row, its :class:`Issue` list, and the whole
:class:`DealImportResult`) shown by the page and printed by ``flask import-deals``.

A row code is an **error** (the file is not saved) or a **notice** (:data:`NOTICES`: the row
is imported all the same); :func:`message` gives its text in the current language.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from matchmaker.deals.import_columns import documented_name
from matchmaker.imports.reasons import REASONS as PRODUCER_REASONS

__all__ = ["ERRORS", "KIND_LABELS", "MESSAGES", "NOTICES", "OUTCOME_LABELS",
           "DealImportResult", "Issue", "RowReport", "message"]

#: What a row code means (errors first, then notices), lazily translated.
MESSAGES = {
    # errors: the file is not saved
    "required": _l("Empty: this cell is needed."),
    "party_not_stated": _l("Not an organisation's name (empty, “không rõ”, “N/A” …)."),
    "too_long": _l("Too long: at most %(limit)s characters."),
    "invalid_tax_code": _l("Not a valid tax code (10 or 13 digits, or a 12-digit personal ID "
                           "for a household business)."),
    "tax_code_mismatch": _l("The organisation with this name has another tax code "
                            "(%(other)s)."),
    "same_party": _l("The producer and the distributor are the same organisation."),
    "bad_type": _l("Write MOU (biên bản ghi nhớ) or contract (hợp đồng)."),
    "bad_date": _l("Not a date: write dd/mm/yyyy (31/12/2023) or yyyy-mm-dd (2023-12-31)."),
    "date_range": _l("The date must be between the year 2000 and today (2099 for dates "
                     "that may lie ahead)."),
    "bad_value": _l("Not a whole amount of đồng (e.g. 1.500.000.000, 1500000000 or "
                    "1,5 tỷ)."),
    "bad_volume": _l("Not a positive quantity (e.g. 2.000 or 2,5)."),
    "bad_mou_status": _l("Not a status of an MOU: signed, negotiating, converted, lapsed or "
                         "cancelled (Đã ký, Đang đàm phán, Đã ký hợp đồng, Không tiến triển, "
                         "Đã hủy)."),
    "bad_contract_status": _l("Not a status of a contract: signed, delivering, completed, "
                              "terminated or cancelled (Đã ký, Đang giao hàng, Hoàn thành, "
                              "Chấm dứt, Đã hủy)."),
    "reason_required": _l("A lapsed or cancelled MOU needs a reason: price, volume, "
                          "certification, logistics, payment, quality, no response or other "
                          "(Giá, Sản lượng, Thiếu chứng nhận, Vận chuyển, Điều kiện thanh "
                          "toán, Chất lượng, Không phản hồi, Khác)."),
    "end_reason_required": _l("A terminated or cancelled contract needs a reason."),
    "valid_before_signed": _l("“Valid until” is before the signing date."),
    "delivery_order": _l("The delivery ends before it starts."),
    "delivery_before_signed": _l("The delivery starts before the contract was signed."),
    "status_before_signed": _l("The status date is before the signing date."),
    "contract_only": _l("Only contract rows have this: put the contract on a row of its own "
                        "(type contract) that names the MOU."),
    "mou_only": _l("Only MOU rows have this."),
    "unknown_event": _l("No event with this title (create the event first, or leave the "
                        "cell empty)."),
    "ambiguous_event": _l("Several events have this title."),
    "unknown_product_set": PRODUCER_REASONS["unknown_product_set"],
    "unknown_hs_code": PRODUCER_REASONS["unknown_hs_code"],
    "duplicate_mou": _l("The same MOU as row %(row)s (same parties, date and reference)."),
    "duplicate_contract": _l("The same contract as row %(row)s (same parties and number)."),
    "repeated_reference": _l("Row %(row)s has another MOU between the same parties with this "
                             "reference."),
    "mou_not_found": _l("No MOU between these parties with this reference, in the file or "
                        "on the platform."),
    "mou_ambiguous": _l("Several MOUs between these parties have this reference."),
    "mou_cancelled": _l("That MOU is cancelled: no contract can follow it."),
    "contract_before_mou": _l("The contract is signed before its MOU (%(date)s)."),
    "event_differs": _l("The MOU of this contract belongs to another event: %(event)s."),
    "mou_has_contract": _l("Row %(row)s is a contract under this MOU: the MOU cannot be "
                           "lapsed or cancelled (write converted, or leave the status "
                           "empty)."),
    "converted_without_contract": _l("Converted needs a contract row that names this MOU "
                                     "(column mou_reference)."),
    "rule": _l("Refused by the rules for MOUs and contracts (%(code)s)."),
    # notices: the row is fine
    "new_organisation": _l("New organisation: %(name)s."),
    "possible_duplicate": PRODUCER_REASONS["possible_duplicate"],
    "side_widened": _l("%(name)s becomes a producer and a distributor."),
    "matched_by_tax_code": _l("Found by its tax code: %(name)s."),
    "tax_code_added": _l("The tax code is added to %(name)s."),
    "reason_as_other": _l("Not a reason from the list: recorded as “other” with this text."),
    "reason_ignored": _l("Only a lapsed or cancelled MOU has a reason: ignored."),
    "products_not_found": _l("Not among the producer's products, kept in the notes: "
                             "%(names)s."),
    "categories_ignored": _l("Contracts have no categories: ignored."),
    "status_differs": _l("On the platform its status is %(status)s: the file does not change "
                         "it."),
}
#: The codes above that only inform: the row is imported all the same.
NOTICES = frozenset({"new_organisation", "possible_duplicate", "side_widened",
                     "matched_by_tax_code", "tax_code_added", "reason_as_other",
                     "reason_ignored", "products_not_found", "categories_ignored",
                     "status_differs"})
ERRORS = frozenset(MESSAGES) - NOTICES

#: Outcome names for reports.
OUTCOME_LABELS = {
    "imported": _l("imported"),
    "ready": _l("ready"),
    "unchanged": _l("unchanged"),
    "error": _l("error"),
}
KIND_LABELS = {"mou": _l("MOU"), "contract": _l("Contract")}


def message(code: str, params: dict | None = None) -> str:
    """The translated text of a row code with its parameters."""
    template = MESSAGES.get(code)
    if template is None:
        return code
    values = defaultdict(str, {k: "" if v is None else str(v) for k, v in (params or {}).items()})
    return str(template) % values


@dataclass
class Issue:
    """An error or a notice about one cell (``field``; None for the whole row)."""

    field: str | None
    code: str
    value: str = ""
    params: dict = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.code in ERRORS

    @property
    def text(self) -> str:
        """The message in the current language."""
        return message(self.code, self.params)


@dataclass
class RowReport:
    """One row: ``kind`` (``mou`` / ``contract``), ``outcome`` (``imported`` — or
    ``ready`` when nothing was saved —, ``unchanged``, ``error``), its issues and a summary
    (parties, number, date, value) to recognise it; ``record_id`` is the MOU's or
    contract's id once saved (or the existing one when unchanged)."""

    row_number: int
    kind: str = ""
    outcome: str = "ready"
    issues: list[Issue] = field(default_factory=list)
    producer: str = ""
    distributor: str = ""
    reference: str = ""
    signed_on: date | None = None
    value_vnd: int | None = None
    record_id: int | None = None

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.is_error]

    @property
    def notices(self) -> list[Issue]:
        return [i for i in self.issues if not i.is_error]


@dataclass
class DealImportResult:
    """The report of one import (or check). ``saved`` is set by the caller once it has
    committed; until then, and for a dry run or a file with errors, nothing is kept."""

    filename: str
    sha256: str
    rows: list[RowReport]
    columns: dict[str, str]
    ignored_columns: tuple[str, ...] = ()
    kind: str = "csv"
    dry_run: bool = False
    mous_created: int = 0
    contracts_created: int = 0
    organisations_created: int = 0
    reviews_created: int = 0
    saved: bool = False

    def count(self, outcome: str) -> int:
        """Rows with this outcome."""
        return sum(1 for r in self.rows if r.outcome == outcome)

    @property
    def has_errors(self) -> bool:
        return any(r.outcome == "error" for r in self.rows)

    @property
    def changed(self) -> bool:
        """True when the import adds something."""
        return self.mous_created + self.contracts_created + self.organisations_created > 0

    @property
    def can_save(self) -> bool:
        """True when the caller should commit: no errors, not a dry run, something new."""
        return not self.dry_run and not self.has_errors and self.changed

    def column(self, field_name: str | None) -> str:
        """The column's header as written in the file (the documented name when absent)."""
        if field_name is None:
            return ""
        return self.columns.get(field_name) or documented_name(field_name)
