"""The MOU-to-contract rules: record, edit, change status, convert and reopen.

Services flush, never commit; the caller's request (a POST, so ``BEGIN IMMEDIATE`` on
SQLite) or :func:`matchmaker.db.write_transaction` holds the transaction. Rows are
re-read under ``SELECT … FOR UPDATE`` on PostgreSQL before a change (:func:`lock_mou`,
:func:`lock_contract`), and every edit names the ``version`` the editor saw: a different
version raises :class:`StaleEdit` instead of overwriting someone else's change.

The conversion rule (DESIGN §5): an MOU is ``converted`` while at least one of its contracts
counts (signed, delivering, completed or terminated, :data:`COUNTED_CONTRACT`). The first
such contract converts it (from signed, negotiating or even lapsed — it did convert, late);
cancelling the last one reopens it to the state it had before it converted.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from matchmaker.catalogue.models import Category, Product
from matchmaker.deals.models import (
    CLOSED_MOU,
    COUNTED_CONTRACT,
    CloseReason,
    ContractStatus,
    Mou,
    MouKind,
    MouStatus,
    SupplyContract,
)
from matchmaker.events.models import Event, Registration
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject, change_status
from matchmaker.meetings.models import Meeting, MeetingStatus
from matchmaker.organisations.models import Organisation
from matchmaker.timeutil import utcnow

MOU_TRANSITIONS: dict[str, frozenset[str]] = {
    MouStatus.SIGNED: frozenset({MouStatus.NEGOTIATING, MouStatus.LAPSED, MouStatus.CANCELLED}),
    MouStatus.NEGOTIATING: frozenset({MouStatus.LAPSED, MouStatus.CANCELLED}),
    # A lapsed MOU may come back to life when talks resume.
    MouStatus.LAPSED: frozenset({MouStatus.NEGOTIATING}),
    # Set and undone by contracts only.
    MouStatus.CONVERTED: frozenset(),
    MouStatus.CANCELLED: frozenset(),
}
CONTRACT_TRANSITIONS: dict[str, frozenset[str]] = {
    ContractStatus.SIGNED: frozenset({ContractStatus.DELIVERING, ContractStatus.TERMINATED,
                                      ContractStatus.CANCELLED}),
    ContractStatus.DELIVERING: frozenset({ContractStatus.COMPLETED, ContractStatus.TERMINATED}),
    ContractStatus.COMPLETED: frozenset(),
    ContractStatus.TERMINATED: frozenset(),
    ContractStatus.CANCELLED: frozenset(),
}
# MOU fields an edit may change (parties, kind and status have their own rules).
MOU_FIELDS = frozenset({"reference", "signed_on", "valid_until", "estimated_value_vnd",
                        "volume", "unit", "notes", "event_id", "agency_a", "agency_b",
                        "document_path"})
CONTRACT_FIELDS = frozenset({"contract_number", "signed_on", "value_vnd", "volume", "unit",
                             "delivery_from", "delivery_to", "notes", "event_id",
                             "document_path"})


class DealError(ValueError):
    """A change the rules refuse. ``code`` names the rule (pages translate by code):

    ``same_party``, ``not_producer``, ``not_distributor``, ``product_not_producers``,
    ``unknown_product``, ``unknown_category``, ``meeting_not_held``, ``meeting_parties``,
    ``valid_before_signed``, ``delivery_order``, ``negative_value``, ``bad_volume``,
    ``transition`` (status change not allowed from the current state), ``reason_required``,
    ``reason_text_required``, ``mou_cancelled``, ``agency_mou`` (contracts need a business
    MOU), ``converted_by_contract`` (only contracts convert), ``unknown_event``.
    """

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class StaleEdit(Exception):
    """The record changed since the editor loaded it (``version`` differs): reload."""

    def __init__(self, current_version: int):
        super().__init__(current_version)
        self.current_version = current_version


@dataclass(frozen=True)
class Parties:
    """A business deal's two organisations (ids), and where it came from."""

    producer_id: int
    distributor_id: int
    event_id: int | None = None
    meeting_id: int | None = None


def lock_mou(mou_id: int) -> Mou | None:
    """Load the MOU fresh and lock its row for the transaction (PostgreSQL ``FOR UPDATE``;
    on SQLite the writer's ``BEGIN IMMEDIATE`` already serialises)."""
    return db.session.execute(
        sa.select(Mou).where(Mou.id == mou_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()


def lock_contract(contract_id: int) -> SupplyContract | None:
    """Load the contract fresh and lock its row (see :func:`lock_mou`)."""
    return db.session.execute(
        sa.select(SupplyContract).where(SupplyContract.id == contract_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()


def check_version(obj, expected_version: int | None) -> None:
    """Raise :class:`StaleEdit` when ``expected_version`` is given and is not the row's."""
    if expected_version is not None and int(expected_version) != obj.version:
        raise StaleEdit(obj.version)


def parties_of_meeting(meeting: Meeting) -> Parties:
    """The organisations and event of a held meeting, for an MOU recorded from it.

    Raises:
        DealError: ``meeting_not_held`` unless the meeting is held.
    """
    if meeting.status != MeetingStatus.HELD:
        raise DealError("meeting_not_held")
    rows = dict(db.session.execute(
        sa.select(Registration.id, Registration.organisation_id).where(Registration.id.in_(
            [meeting.producer_registration_id, meeting.distributor_registration_id]))).all())
    return Parties(rows[meeting.producer_registration_id],
                   rows[meeting.distributor_registration_id], meeting.event_id, meeting.id)


def _check_parties(producer_id: int, distributor_id: int) -> None:
    if producer_id == distributor_id:
        raise DealError("same_party")
    orgs = {o.id: o for o in db.session.scalars(
        sa.select(Organisation).where(Organisation.id.in_([producer_id, distributor_id])))}
    producer, distributor = orgs.get(producer_id), orgs.get(distributor_id)
    if producer is None or not producer.is_producer:
        raise DealError("not_producer")
    if distributor is None or not distributor.is_distributor:
        raise DealError("not_distributor")


def _products(producer_id: int, product_ids) -> list[Product]:
    ids = sorted(set(product_ids or ()))
    if not ids:
        return []
    products = list(db.session.scalars(sa.select(Product).where(Product.id.in_(ids))))
    if len(products) != len(ids):
        raise DealError("unknown_product")
    if any(p.organisation_id != producer_id for p in products):
        raise DealError("product_not_producers")
    return products


def _categories(category_ids) -> list[Category]:
    ids = sorted(set(category_ids or ()))
    if not ids:
        return []
    categories = list(db.session.scalars(sa.select(Category).where(Category.id.in_(ids))))
    if len(categories) != len(ids):
        raise DealError("unknown_category")
    return categories


def _check_amounts(value_vnd: int | None, volume: Decimal | None) -> None:
    if value_vnd is not None and value_vnd < 0:
        raise DealError("negative_value")
    if volume is not None and volume <= 0:
        raise DealError("bad_volume")


def _check_event(event_id: int | None) -> None:
    if event_id is not None and db.session.get(Event, event_id) is None:
        raise DealError("unknown_event")


def record_mou(*, signed_on: date, by_user_id: int | None, parties: Parties | None = None,
               agencies: tuple[str, str] | None = None, product_ids=(), category_ids=(),
               estimated_value_vnd: int | None = None, volume: Decimal | None = None,
               unit: str | None = None, valid_until: date | None = None,
               reference: str | None = None, notes: str | None = None,
               document_path: str | None = None, event_id: int | None = None,
               imported: bool = False, note: str | None = None,
               at: datetime | None = None) -> Mou:
    """Record a signed MOU; returns it (status ``signed``, history row written).

    Exactly one of ``parties`` (a business MOU; products must be the producer's) or
    ``agencies`` (two agency names, a department-to-department MOU) is given. ``event_id``
    overrides ``parties.event_id`` only when the parties carry none. Money in whole đồng,
    ``volume`` in ``unit``. ``at`` (aware UTC) dates the history row and the last activity,
    for records of the past (imports, demo); default now.

    Raises:
        DealError: see the codes in :class:`DealError`.
    """
    if (parties is None) == (agencies is None):
        raise ValueError("give either parties or agencies")
    if valid_until is not None and valid_until < signed_on:
        raise DealError("valid_before_signed")
    _check_amounts(estimated_value_vnd, volume)
    mou = Mou(signed_on=signed_on, valid_until=valid_until,
              estimated_value_vnd=estimated_value_vnd, volume=volume,
              unit=unit or None, reference=reference,
              notes=notes, document_path=document_path, imported=imported,
              created_by_id=by_user_id, last_activity_at=at or utcnow(), status=None)
    if parties is not None:
        _check_parties(parties.producer_id, parties.distributor_id)
        mou.kind = MouKind.BUSINESS
        mou.producer_id, mou.distributor_id = parties.producer_id, parties.distributor_id
        mou.event_id = parties.event_id if parties.event_id is not None else event_id
        mou.meeting_id = parties.meeting_id
        mou.products = _products(parties.producer_id, product_ids)
    else:
        mou.kind = MouKind.AGENCY
        mou.agency_a, mou.agency_b = agencies
        mou.event_id = event_id
    _check_event(mou.event_id)
    mou.categories = _categories(category_ids)
    db.session.add(mou)
    change_status(mou, Subject.MOU, MouStatus.SIGNED, by_user_id, note, at=at)
    return mou


def update_mou(mou: Mou, expected_version: int | None, by_user_id: int | None,
               product_ids=None, category_ids=None, **fields) -> Mou:
    """Change an MOU's details (not its parties or status); ``fields`` ⊆ :data:`MOU_FIELDS`.

    ``product_ids`` / ``category_ids`` replace the lists when given (None keeps them).

    Raises:
        StaleEdit: someone saved the MOU after ``expected_version``.
        DealError: invalid dates or amounts, a product of another producer.
    """
    check_version(mou, expected_version)
    unknown = set(fields) - MOU_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    signed_on = fields.get("signed_on", mou.signed_on)
    valid_until = fields.get("valid_until", mou.valid_until)
    if valid_until is not None and valid_until < signed_on:
        raise DealError("valid_before_signed")
    _check_amounts(fields.get("estimated_value_vnd"), fields.get("volume"))
    if "event_id" in fields:
        _check_event(fields["event_id"])
    for name, value in fields.items():
        setattr(mou, name, value)
    if product_ids is not None:
        if mou.kind != MouKind.BUSINESS:
            raise DealError("agency_mou")
        mou.products = _products(mou.producer_id, product_ids)
    if category_ids is not None:
        mou.categories = _categories(category_ids)
    mou.last_activity_at = utcnow()
    db.session.flush()
    return mou


def change_mou_status(mou: Mou, to_status: str, by_user_id: int | None,
                      expected_version: int | None = None, reason: str | None = None,
                      reason_text: str | None = None, note: str | None = None,
                      at: datetime | None = None) -> StatusChange:
    """Move an MOU along ``signed → negotiating``, to ``lapsed`` / ``cancelled`` (with a
    :class:`CloseReason`, and text for ``other``), or revive a lapsed one. ``at`` (aware
    UTC) dates the change for records of the past; default now.

    Raises:
        StaleEdit: the MOU changed since ``expected_version``.
        DealError: ``converted_by_contract`` (converted comes from contracts),
            ``transition``, ``reason_required``, ``reason_text_required``.
    """
    check_version(mou, expected_version)
    to_status = MouStatus(to_status)
    if to_status == MouStatus.CONVERTED or mou.status == MouStatus.CONVERTED:
        raise DealError("converted_by_contract")
    if to_status not in MOU_TRANSITIONS[MouStatus(mou.status)]:
        raise DealError("transition")
    reason_text = (reason_text or "").strip() or None
    if to_status in CLOSED_MOU:
        if not reason:
            raise DealError("reason_required")
        reason = CloseReason(reason)
        if reason == CloseReason.OTHER and not reason_text:
            raise DealError("reason_text_required")
        mou.close_reason, mou.close_reason_text = reason.value, reason_text
        note = note or _reason_note(reason, reason_text)
    else:
        mou.close_reason = mou.close_reason_text = None
    mou.last_activity_at = at or utcnow()
    return change_status(mou, Subject.MOU, to_status, by_user_id, note, at=at)


def _reason_note(reason: CloseReason, text: str | None) -> str:
    # The history keeps the reason code (and text) so that it reads without the MOU row.
    return reason.value if not text else f"{reason.value}: {text}"


def set_next_step(mou: Mou, expected_version: int | None, next_step: str | None,
                  next_step_on: date | None) -> Mou:
    """Set (or clear) the follow-up note and its due date (Vietnam calendar day).

    Raises:
        StaleEdit: the MOU changed since ``expected_version``.
    """
    check_version(mou, expected_version)
    mou.next_step = (next_step or "").strip() or None
    mou.next_step_on = next_step_on
    mou.last_activity_at = utcnow()
    db.session.flush()
    return mou


def record_contract(*, contract_number: str, signed_on: date, value_vnd: int,
                    by_user_id: int | None, mou: Mou | None = None,
                    parties: Parties | None = None, product_ids=None,
                    volume: Decimal | None = None, unit: str | None = None,
                    delivery_from: date | None = None, delivery_to: date | None = None,
                    notes: str | None = None, document_path: str | None = None,
                    event_id: int | None = None, imported: bool = False,
                    note: str | None = None, at: datetime | None = None) -> SupplyContract:
    """Record a signed supply contract, from ``mou`` (parties, event and — when
    ``product_ids`` is None — products copied; the MOU becomes ``converted``) or standalone
    from ``parties``. Lock the MOU first (:func:`lock_mou`) when two users may act at once.
    ``at`` (aware UTC) dates the history rows for records of the past; default now.

    Raises:
        DealError: ``mou_cancelled``, ``agency_mou``, ``delivery_order``, ``negative_value``,
            ``bad_volume``, party and product codes as for MOUs.
    """
    if (mou is None) == (parties is None):
        raise ValueError("give either mou or parties")
    if value_vnd is None or value_vnd < 0:
        raise DealError("negative_value")
    _check_amounts(value_vnd, volume)
    if delivery_from and delivery_to and delivery_to < delivery_from:
        raise DealError("delivery_order")
    contract = SupplyContract(
        contract_number=contract_number, signed_on=signed_on, value_vnd=value_vnd,
        volume=volume, unit=unit, delivery_from=delivery_from, delivery_to=delivery_to,
        notes=notes, document_path=document_path, imported=imported,
        created_by_id=by_user_id, status=None)
    # Not flushed half-built: the product lookups below would autoflush the contract.
    with db.session.no_autoflush:
        if mou is not None:
            if mou.status == MouStatus.CANCELLED:
                raise DealError("mou_cancelled")
            if mou.kind != MouKind.BUSINESS:
                raise DealError("agency_mou")
            contract.mou = mou
            contract.producer_id, contract.distributor_id = mou.producer_id, mou.distributor_id
            contract.event_id = mou.event_id if mou.event_id is not None else event_id
            contract.products = (list(mou.products) if product_ids is None
                                 else _products(mou.producer_id, product_ids))
        else:
            _check_parties(parties.producer_id, parties.distributor_id)
            contract.producer_id = parties.producer_id
            contract.distributor_id = parties.distributor_id
            contract.event_id = parties.event_id if parties.event_id is not None else event_id
            contract.products = _products(parties.producer_id, product_ids)
        _check_event(contract.event_id)
    db.session.add(contract)
    change_status(contract, Subject.CONTRACT, ContractStatus.SIGNED, by_user_id, note, at=at)
    if mou is not None:
        mou.last_activity_at = at or utcnow()
        if mou.status != MouStatus.CONVERTED:
            mou.close_reason = mou.close_reason_text = None
            change_status(mou, Subject.MOU, MouStatus.CONVERTED, by_user_id,
                          contract.contract_number, at=at)
    return contract


def update_contract(contract: SupplyContract, expected_version: int | None,
                    by_user_id: int | None, product_ids=None, **fields) -> SupplyContract:
    """Change a contract's details (not parties, MOU or status); ``fields`` ⊆
    :data:`CONTRACT_FIELDS`.

    Raises:
        StaleEdit: someone saved it after ``expected_version``.
        DealError: ``delivery_order``, ``negative_value``, ``bad_volume``, product codes.
    """
    check_version(contract, expected_version)
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "value_vnd" in fields and fields["value_vnd"] is None:
        raise DealError("negative_value")
    _check_amounts(fields.get("value_vnd"), fields.get("volume"))
    start = fields.get("delivery_from", contract.delivery_from)
    end = fields.get("delivery_to", contract.delivery_to)
    if start and end and end < start:
        raise DealError("delivery_order")
    if "event_id" in fields:
        _check_event(fields["event_id"])
    for name, value in fields.items():
        setattr(contract, name, value)
    if product_ids is not None:
        contract.products = _products(contract.producer_id, product_ids)
    if contract.mou is not None:
        contract.mou.last_activity_at = utcnow()
    db.session.flush()
    return contract


def change_contract_status(contract: SupplyContract, to_status: str, by_user_id: int | None,
                           expected_version: int | None = None, reason: str | None = None,
                           note: str | None = None, at: datetime | None = None) -> StatusChange:
    """Move a contract ``signed → delivering → completed``, or end it: ``terminated`` (was
    in force) or ``cancelled`` (never took effect), both with a ``reason``. Cancelling the
    MOU's last counted contract reopens the MOU (lock it first, :func:`lock_mou`). ``at``
    (aware UTC) dates the change for records of the past; default now.

    Raises:
        StaleEdit: the contract changed since ``expected_version``.
        DealError: ``transition``, ``reason_required``.
    """
    check_version(contract, expected_version)
    to_status = ContractStatus(to_status)
    if to_status not in CONTRACT_TRANSITIONS[ContractStatus(contract.status)]:
        raise DealError("transition")
    reason = (reason or "").strip() or None
    if to_status in (ContractStatus.TERMINATED, ContractStatus.CANCELLED):
        if not reason:
            raise DealError("reason_required")
        contract.end_reason = reason
    change = change_status(contract, Subject.CONTRACT, to_status, by_user_id, note or reason,
                           at=at)
    mou = contract.mou
    if mou is not None:
        mou.last_activity_at = at or utcnow()
        if to_status == ContractStatus.CANCELLED and mou.status == MouStatus.CONVERTED:
            _reopen_if_unconverted(mou, by_user_id, contract, at)
    return change


def _reopen_if_unconverted(mou: Mou, by_user_id: int | None, cancelled: SupplyContract,
                           at: datetime | None) -> None:
    counted = db.session.scalar(
        sa.select(sa.func.count(SupplyContract.id)).where(
            SupplyContract.mou_id == mou.id, SupplyContract.id != cancelled.id,
            SupplyContract.status.in_([s.value for s in COUNTED_CONTRACT])))
    if counted:
        return
    before = db.session.scalar(
        sa.select(StatusChange.from_status).where(
            StatusChange.subject_type == Subject.MOU.value, StatusChange.subject_id == mou.id,
            StatusChange.to_status == MouStatus.CONVERTED.value)
        .order_by(StatusChange.changed_at.desc(), StatusChange.id.desc()).limit(1))
    # A lapsed MOU revived by a contract that was then cancelled is open again, not lapsed:
    # its close reason was cleared when it converted.
    reopened = MouStatus.SIGNED if before == MouStatus.SIGNED else MouStatus.NEGOTIATING
    change_status(mou, Subject.MOU, reopened, by_user_id, cancelled.contract_number, at=at)
