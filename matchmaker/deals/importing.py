"""Import past MOUs and supply contracts from a CSV/XLSX file, all or nothing.

A province loads the years before the platform from its spreadsheets: one row per MOU or
per contract (see :data:`~matchmaker.deals.import_columns.FIELDS` and the README's
"Importing past MOUs and contracts"). The file is read by the producer import's reader
(:mod:`matchmaker.imports.parsing`: CSV in UTF-8/UTF-16/Windows-1258 or XLSX, recognised by
content; header names matched ignoring case, accents, spaces and punctuation, in English or
Vietnamese). Rules:

* **All or nothing.** Every row is checked first
  (:meth:`~matchmaker.deals.import_rows.RowChecker.check`, then the checks across rows in
  :meth:`_Importer.link`). One bad row and nothing is saved: the report names each bad
  row, its column and why. A clean file is written in the caller's transaction
  through the deal rules (:mod:`matchmaker.deals.services`); the caller commits once.
* **Parties**: each row names its producer and its distributor, optionally with their tax
  codes. A tax code decides first; otherwise the organisation's name as the producer import
  compares it (:func:`~matchmaker.organisations.identity.identity_key`: case, accents,
  spacing and the abbreviations of legal forms do not matter; names an organiser merged
  keep leading to the kept organisation). An organisation the platform does not know is
  **created** (``source = 'imported'``, as the producer import does), and flagged for review
  next to any similar name: years of spreadsheets name hundreds of businesses that never
  registered, and refusing them would stop the import at the first one. An existing
  organisation named on the other side becomes producer *and* distributor (said in the
  report).
* **MOU and contract rows.** A row is a contract when its ``type`` says so (hợp đồng,
  contract, HĐ) or, with no type, when it has a contract number; otherwise an MOU. An MOU
  row's ``mou_reference`` is its own number; a contract row's ``mou_reference`` names the MOU
  it follows — an MOU row of the same file or an MOU already on the platform, between the
  same two parties.
* **Values**: dates ``dd/mm/yyyy`` or ``yyyy-mm-dd`` (or Excel dates), from 2000 to today;
  amounts ``1.500.000.000``, ``1500000000``, ``1,5 tỷ``, ``500 triệu`` (or a column
  "value (million VND)"); statuses and close reasons in Vietnamese or English words.
  Events by title (accents and case ignored) or none.
* **History**: imported records carry ``imported = True`` and status-history rows dated at
  noon (Vietnam time) of their dates: signed on the signing date, a later status on the
  ``status_date`` (default: the delivery dates for contracts, ``valid_until`` for a lapsed
  MOU, else the signing date). A contract converts its MOU at the contract's date.
* **Idempotent.** An MOU already on the platform (same parties, signing date and — when both
  have one — reference) or a contract (same parties and contract number) is ``unchanged``,
  never overwritten, so importing the same file twice adds nothing.

This module runs an import (:func:`import_deals`): it checks every row, links contracts to
their MOUs, and writes a clean file. The pieces: :mod:`~matchmaker.deals.import_columns`
(the columns, reading the file, the template), :mod:`~matchmaker.deals.import_values` (one
cell's value), :mod:`~matchmaker.deals.import_parties` (the organisations),
:mod:`~matchmaker.deals.import_rows` (one row checked) and
:mod:`~matchmaker.deals.import_report` (what is said about each row).
"""

import hashlib
from collections.abc import Callable
from datetime import date, datetime, time

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from matchmaker.deals.import_columns import read_deals_table
from matchmaker.deals.import_parties import PartyBook
from matchmaker.deals.import_report import DealImportResult
from matchmaker.deals.import_rows import Row, RowChecker
from matchmaker.deals.labels import MOU_STATUS_SHORT
from matchmaker.deals.models import (
    CLOSED_MOU,
    ContractStatus,
    Mou,
    MouKind,
    MouStatus,
    SupplyContract,
)
from matchmaker.deals.services import (
    DealError,
    Parties,
    change_contract_status,
    change_mou_status,
    lock_mou,
    record_contract,
    record_mou,
)
from matchmaker.extensions import db
from matchmaker.imports.parsing import Table
from matchmaker.imports.services import IMPORT_LOCK_KEY
from matchmaker.text import fold, normalise
from matchmaker.timeutil import local_to_utc, to_local, utcnow

__all__ = ["import_deals"]


def noon(day: date) -> datetime:
    """12:00 Vietnam time on ``day``, as aware UTC (history rows of imported records)."""
    return local_to_utc(datetime.combine(day, time(12, 0)))


class _Importer:
    """One import: its rows, checked one by one, then against each other and the platform;
    then written."""

    def __init__(self, table: Table, today: date) -> None:
        self.today = today
        self.parties = PartyBook()
        self.checker = RowChecker(table, today, self.parties)
        self.rows: list[Row] = []

    def load(self) -> None:
        """Read what the checks need from the database."""
        self.parties.load()
        self.checker.load()

    # --- across rows --------------------------------------------------------------------

    def link(self) -> None:
        """Checks across rows: duplicates, contracts to their MOUs, what already exists."""
        usable = [r for r in self.rows if r.producer is not None and r.distributor is not None
                  and r.producer is not r.distributor]
        mous = [r for r in usable if r.kind == "mou"]
        contracts = [r for r in usable if r.kind == "contract"]
        existing_mous, existing_contracts = self._existing_deals(usable)

        by_date: dict[tuple, list[Row]] = {}
        by_reference: dict[tuple, Row] = {}
        for row in mous:
            if row.signed_on is None:
                continue
            ref = fold(row.reference) if row.reference else None
            twins = by_date.setdefault((*row.pair, row.signed_on), [])
            first = next((t for t in twins if t.reference is None or ref is None
                          or fold(t.reference) == ref), None)
            if first is not None:
                row.error("mou_reference" if ref else "signed_on", "duplicate_mou",
                          row.reference or "", row=first.report.row_number)
                continue
            twins.append(row)
            if ref:
                other = by_reference.get((*row.pair, ref))
                if other is not None:
                    row.error("mou_reference", "repeated_reference", row.reference,
                              row=other.report.row_number)
                    continue
                by_reference[(*row.pair, ref)] = row
            for mou_id, signed_on, reference, _status, _event in existing_mous.get(row.pair, ()):
                if signed_on == row.signed_on and (
                        not reference or ref is None or fold(reference) == ref):
                    row.existing_id = mou_id
                    self._unchanged(row, mou_id, _status)
                    break

        seen_numbers: dict[tuple, Row] = {}
        for row in contracts:
            if row.contract_number is None:
                continue
            number = fold(row.contract_number)
            first = seen_numbers.get((*row.pair, number))
            if first is not None:
                row.error("contract_number", "duplicate_contract", row.contract_number,
                          row=first.report.row_number)
                continue
            seen_numbers[(*row.pair, number)] = row
            for contract_id, contract_number in existing_contracts.get(row.pair, ()):
                if fold(contract_number) == number:
                    row.existing_id = contract_id
                    self._unchanged(row, contract_id, None)
                    break
            if row.reference:
                self._link_mou(row, by_reference, existing_mous)
                if row.mou_row is not None and row.existing_id is None:
                    row.mou_row.contracts.append(row)

        for row in mous:
            if row.existing_id is not None or not row.ok:
                continue
            under = [c for c in row.contracts if c.status != ContractStatus.CANCELLED]
            if row.status == MouStatus.LAPSED and under:  # (cancelled: the contract says)
                row.error("status", "mou_has_contract", row.status,
                          row=under[0].report.row_number)
            if row.status == MouStatus.CONVERTED and not under:
                row.error("status", "converted_without_contract", row.status)

    def _unchanged(self, row: Row, record_id: int, status: str | None) -> None:
        row.report.record_id = record_id
        if row.ok:
            row.report.outcome = "unchanged"
        if status is not None and row.status is not None and row.status != status:
            row.notice("status", "status_differs", row.status,
                       status=MOU_STATUS_SHORT.get(status, status))

    def _link_mou(self, row: Row, by_reference: dict, existing_mous: dict) -> None:
        ref = fold(row.reference)
        mou_row = by_reference.get((*row.pair, ref))
        if mou_row is not None and mou_row.existing_id is None:
            row.mou_row = mou_row
            mou_signed, mou_event, mou_status = (mou_row.signed_on, mou_row.event_id,
                                                 mou_row.status)
        else:
            found = [m for m in existing_mous.get(row.pair, ())
                     if m[2] and fold(m[2]) == ref]
            if mou_row is not None:
                found = [m for m in found if m[0] == mou_row.existing_id] or found
            if len(found) != 1:
                row.error("mou_reference", "mou_ambiguous" if found else "mou_not_found",
                          row.reference)
                return
            row.mou_id, mou_signed, _ref, mou_status, mou_event = found[0]
        if mou_status == MouStatus.CANCELLED:
            row.error("mou_reference", "mou_cancelled", row.reference)
        if row.signed_on and mou_signed and row.signed_on < mou_signed:
            row.error("signed_on", "contract_before_mou", row.signed_on.isoformat(),
                      date=mou_signed.strftime("%d/%m/%Y"))
        if row.event_id is not None and mou_event is not None and row.event_id != mou_event:
            row.error("event", "event_differs", self.checker.event_titles.get(row.event_id, ""),
                      event=self.checker.event_titles.get(mou_event, ""))

    def _existing_deals(self, rows: list[Row]) -> tuple[dict, dict]:
        pairs = {r.pair for r in rows
                 if r.producer.org_id is not None and r.distributor.org_id is not None}
        if not pairs:
            return {}, {}
        producers = sorted({p for p, _d in pairs})
        distributors = sorted({d for _p, d in pairs})
        mous: dict[tuple, list] = {}
        for mou_id, p, d, signed_on, reference, status, event_id in db.session.execute(
                sa.select(Mou.id, Mou.producer_id, Mou.distributor_id, Mou.signed_on,
                          Mou.reference, Mou.status, Mou.event_id)
                .where(Mou.kind == MouKind.BUSINESS.value, Mou.producer_id.in_(producers),
                       Mou.distributor_id.in_(distributors)).order_by(Mou.id)):
            if (p, d) in pairs:
                mous.setdefault((p, d), []).append((mou_id, signed_on, reference, status,
                                                    event_id))
        contracts: dict[tuple, list] = {}
        for contract_id, p, d, number in db.session.execute(
                sa.select(SupplyContract.id, SupplyContract.producer_id,
                          SupplyContract.distributor_id, SupplyContract.contract_number)
                .where(SupplyContract.producer_id.in_(producers),
                       SupplyContract.distributor_id.in_(distributors))
                .order_by(SupplyContract.id)):
            if (p, d) in pairs:
                contracts.setdefault((p, d), []).append((contract_id, number))
        return mous, contracts

    # --- writing ------------------------------------------------------------------------

    def organisations(self) -> tuple[int, int]:
        """Create the organisations the new rows need (see
        :meth:`~matchmaker.deals.import_parties.PartyBook.create`)."""
        new_rows = [r for r in self.rows if r.existing_id is None]
        return self.parties.create({r.producer for r in new_rows}
                                   | {r.distributor for r in new_rows})

    def write_mou(self, row: Row, by_user_id: int | None, note: str) -> Mou:
        mou = record_mou(
            signed_on=row.signed_on, by_user_id=by_user_id,
            parties=Parties(row.producer.saved_id, row.distributor.saved_id,
                            event_id=row.event_id),
            product_ids=row.product_ids, category_ids=row.category_ids,
            estimated_value_vnd=row.value, volume=row.volume, unit=row.unit,
            valid_until=row.valid_until, reference=row.reference, notes=row.notes,
            imported=True, note=note, at=noon(row.signed_on))
        at = row.signed_on
        if row.status == MouStatus.NEGOTIATING:
            at = row.status_date or row.signed_on
            change_mou_status(mou, MouStatus.NEGOTIATING, by_user_id, note=note, at=noon(at))
        elif row.status in CLOSED_MOU:
            at = row.status_date or (row.valid_until if row.status == MouStatus.LAPSED
                                     and row.valid_until else None) or row.signed_on
            at = min(at, self.today)
            change_mou_status(mou, row.status, by_user_id, reason=row.reason,
                              reason_text=row.reason_text, at=noon(at))
        row.last_at = noon(at)
        return mou

    def write_contract(self, row: Row, by_user_id: int | None, note: str) -> SupplyContract:
        mou = None
        if row.mou_row is not None:
            mou = row.mou_row.record
        elif row.mou_id is not None:
            mou = lock_mou(row.mou_id)
        parties = None if mou is not None else Parties(
            row.producer.saved_id, row.distributor.saved_id, event_id=row.event_id)
        before = mou.last_activity_at if mou is not None else None
        contract = record_contract(
            contract_number=row.contract_number, signed_on=row.signed_on,
            value_vnd=row.value, by_user_id=by_user_id, mou=mou, parties=parties,
            product_ids=row.product_ids or (None if mou is not None else []),
            volume=row.volume, unit=row.unit, delivery_from=row.delivery_from,
            delivery_to=row.delivery_to, notes=row.notes, event_id=row.event_id,
            imported=True, note=note, at=noon(row.signed_on))
        last = row.signed_on
        for status, at in self._contract_path(row):
            last = max(last, min(at, self.today))
            change_contract_status(contract, status, by_user_id, reason=row.reason,
                                   at=noon(last))
        if row.mou_row is not None:  # the MOU's last activity: its latest dated change
            row.mou_row.last_at = max(row.mou_row.last_at, noon(last))
            mou.last_activity_at = row.mou_row.last_at
        elif mou is not None:  # an MOU already on the platform: the import is news
            mou.last_activity_at = max(before, mou.last_activity_at)
        return contract

    @staticmethod
    def _contract_path(row: Row) -> list[tuple[str, date]]:
        """The changes after ``signed`` that lead to the row's status, with their dates
        (the writer keeps them in order and not after today)."""
        signed, status = row.signed_on, row.status
        if status in (ContractStatus.TERMINATED, ContractStatus.CANCELLED):
            return [(status, row.status_date or signed)]
        if status == ContractStatus.DELIVERING:
            return [(status, row.status_date or row.delivery_from or signed)]
        if status == ContractStatus.COMPLETED:
            started = row.delivery_from or signed
            return [(ContractStatus.DELIVERING, started),
                    (status, row.status_date or row.delivery_to or started)]
        return []


def import_deals(data: bytes, filename: str, *, imported_by_id: int | None = None,
                 dry_run: bool = False, today: date | None = None,
                 progress: Callable[[int, int], None] | None = None) -> DealImportResult:
    """Import a file of past MOUs and contracts (CSV or XLSX bytes) in the current
    transaction, all or nothing (see the module docstring).

    Args:
        data: the file's content; ``filename`` goes into the history notes.
        imported_by_id: the organiser (None from the command line).
        dry_run: check everything, write it, report; the caller rolls back.
        today: the last acceptable date (default: today in Vietnam).
        progress: ``progress(done, total)`` after each row checked and each row written.

    Returns:
        A :class:`DealImportResult`, one :class:`RowReport` per data row. The caller commits
        when ``result.can_save`` and then sets ``result.saved``; otherwise it rolls back
        (rows with errors, a dry run, or nothing new).

    Raises:
        matchmaker.imports.parsing.FileError: the file as a whole cannot be used.
    """
    table = read_deals_table(data)
    today = today or to_local(utcnow()).date()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(IMPORT_LOCK_KEY)))
    importer = _Importer(table, today)
    importer.load()
    total = 2 * len(table.rows)
    for done, (number, values) in enumerate(table.rows, start=1):
        importer.rows.append(importer.checker.check(number, values))
        if progress is not None:
            progress(done, total)
    importer.link()
    result = DealImportResult(
        filename=filename, sha256=hashlib.sha256(data).hexdigest(),
        rows=[r.report for r in importer.rows], columns=dict(table.columns),
        ignored_columns=table.ignored, kind=table.kind, dry_run=dry_run)
    if result.has_errors:
        return result
    new_rows = [r for r in importer.rows if r.existing_id is None]
    if not new_rows:
        return result
    result.organisations_created, result.reviews_created = importer.organisations()
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        name = normalise(filename) or "-"
        notes = {r: _("Imported from %(file)s, row %(row)d", file=name,
                      row=r.report.row_number) for r in new_rows}
        for row in new_rows:
            if row.missing_products:
                line = _("Products: %(names)s", names="; ".join(row.missing_products))
                row.notes = f"{row.notes}\n{line}" if row.notes else line
    ordered = [r for r in new_rows if r.kind == "mou"] + [
        r for r in new_rows if r.kind == "contract"]
    for done, row in enumerate(ordered, start=len(table.rows) + 1):
        try:
            if row.kind == "mou":
                row.record = importer.write_mou(row, imported_by_id, notes[row])
                result.mous_created += 1
            else:
                row.record = importer.write_contract(row, imported_by_id, notes[row])
                result.contracts_created += 1
            db.session.flush()
        except DealError as error:
            row.error(None, "rule", code=error.code)
            break
        except IntegrityError as error:
            row.error(None, "rule", code=type(error.orig).__name__)
            break
        row.report.record_id = row.record.id
        row.report.outcome = "imported"
        if progress is not None:
            progress(done, total)
    if dry_run or result.has_errors:
        for report in result.rows:  # written, but the caller rolls it all back
            if report.outcome == "imported":
                report.outcome, report.record_id = "ready", None
    return result
