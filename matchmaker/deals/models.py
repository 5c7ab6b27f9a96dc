"""MOU and SupplyContract: the deals that follow a meeting (DESIGN §2, §5).

An MOU (biên bản ghi nhớ hợp tác) is either a *business* MOU between a producer and a
distributor organisation, or an *agency* MOU (department-to-department cooperation between
organisers' agencies, named in free text), which reports keep apart. A supply contract
(hợp đồng cung ứng / tiêu thụ) is always between a producer and a distributor; it may come
from an MOU or stand alone. Money is whole đồng (``BIGINT``), volumes count ``unit``
(kg, lít, hộp, …), dates signed/valid/delivery are DATEs (calendar days in Vietnam).

Nothing here is deleted: MOUs are cancelled or lapse with a reason, contracts are cancelled
(entered in error / never took effect) or terminated with a reason. Every status change is
in ``status_changes`` (subjects ``mou`` and ``contract``). ``version`` is SQLAlchemy's
optimistic lock: an UPDATE names the version it read, so two people editing one record
cannot silently overwrite each other.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from matchmaker.catalogue.models import Category, Product
from matchmaker.db import TimestampMixin, UTCDateTime, enum_check
from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.meetings.models import Meeting
from matchmaker.organisations.models import Organisation
from matchmaker.text import fold_to, normalise
from matchmaker.timeutil import utcnow

VOLUME = sa.Numeric(16, 3)  # up to 10^13 units with grams-of-a-kilo precision


class MouKind(StrEnum):
    """``business``: producer × distributor; ``agency``: cooperation between agencies."""

    BUSINESS = "business"
    AGENCY = "agency"


class MouStatus(StrEnum):
    """``signed → negotiating → converted``, or ``lapsed`` / ``cancelled`` with a reason.

    ``converted`` is set only by the first signed supply contract and undone only when the
    last such contract is cancelled (see :mod:`matchmaker.deals.services`).
    """

    SIGNED = "signed"
    NEGOTIATING = "negotiating"
    CONVERTED = "converted"
    LAPSED = "lapsed"
    CANCELLED = "cancelled"


OPEN_MOU = frozenset({MouStatus.SIGNED, MouStatus.NEGOTIATING})
CLOSED_MOU = frozenset({MouStatus.LAPSED, MouStatus.CANCELLED})


class CloseReason(StrEnum):
    """Why an MOU lapsed or was cancelled (the list organisers report on)."""

    PRICE = "price"
    VOLUME = "volume"  # volume / capacity
    CERTIFICATION = "certification"  # certification missing
    LOGISTICS = "logistics"  # logistics / cold chain
    PAYMENT = "payment"  # payment terms
    QUALITY = "quality"
    NO_RESPONSE = "no_response"
    OTHER = "other"  # with text


class ContractStatus(StrEnum):
    """``signed → delivering → completed | terminated``; ``cancelled`` before delivery.

    A terminated contract was in force (it counts as a conversion); a cancelled one never
    took effect (entered in error, annulled) and does not count.
    """

    SIGNED = "signed"
    DELIVERING = "delivering"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


# Contracts in these states convert their MOU and count in reports.
COUNTED_CONTRACT = frozenset({ContractStatus.SIGNED, ContractStatus.DELIVERING,
                              ContractStatus.COMPLETED, ContractStatus.TERMINATED})


mou_products = sa.Table(
    "mou_products", db.metadata,
    sa.Column("mou_id", sa.ForeignKey("mous.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="RESTRICT"),
              primary_key=True, index=True),
)
mou_categories = sa.Table(
    "mou_categories", db.metadata,
    sa.Column("mou_id", sa.ForeignKey("mous.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="RESTRICT"),
              primary_key=True, index=True),
)
contract_products = sa.Table(
    "contract_products", db.metadata,
    sa.Column("contract_id", sa.ForeignKey("supply_contracts.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="RESTRICT"),
              primary_key=True, index=True),
)


class Mou(TimestampMixin, db.Model):
    """A memorandum of understanding (biên bản ghi nhớ hợp tác).

    Business MOUs name ``producer_id`` and ``distributor_id`` (two different organisations);
    agency MOUs name ``agency_a`` and ``agency_b`` instead. ``event_id`` / ``meeting_id``
    say where it was signed (both optional). ``estimated_value_vnd`` whole đồng; ``volume``
    in ``unit``. ``close_reason`` (+ ``close_reason_text`` for ``other``) is required while
    lapsed or cancelled. ``next_step`` / ``next_step_on`` are the organisers' follow-up;
    ``last_activity_at`` (UTC) moves on every change to the MOU or one of its contracts.
    """

    __tablename__ = "mous"
    __table_args__ = (
        sa.CheckConstraint(enum_check("kind", MouKind), name="kind_valid"),
        sa.CheckConstraint(enum_check("status", MouStatus), name="status_valid"),
        sa.CheckConstraint(enum_check("close_reason", CloseReason), name="close_reason_valid"),
        sa.CheckConstraint(
            "(kind = 'business' AND producer_id IS NOT NULL AND distributor_id IS NOT NULL"
            " AND producer_id <> distributor_id AND agency_a IS NULL AND agency_b IS NULL)"
            " OR (kind = 'agency' AND producer_id IS NULL AND distributor_id IS NULL"
            " AND length(agency_a) > 0 AND length(agency_b) > 0)",
            name="parties_match_kind"),
        sa.CheckConstraint("estimated_value_vnd IS NULL OR estimated_value_vnd >= 0",
                           name="value_not_negative"),
        sa.CheckConstraint("volume IS NULL OR volume > 0", name="volume_positive"),
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= signed_on",
                           name="valid_after_signed"),
        sa.CheckConstraint(
            "(status IN ('lapsed', 'cancelled')) = (close_reason IS NOT NULL)",
            name="closed_iff_reason"),
        sa.CheckConstraint(
            "close_reason IS NULL OR close_reason <> 'other'"
            " OR length(coalesce(close_reason_text, '')) > 0",
            name="other_reason_has_text"),
        sa.CheckConstraint("meeting_id IS NULL OR event_id IS NOT NULL",
                           name="meeting_needs_event"),
        sa.CheckConstraint("version > 0", name="version_positive"),
        sa.Index("ix_mous_status_signed_on", "status", "signed_on"),
        sa.Index("ix_mous_event", "event_id"),
        sa.Index("ix_mous_producer", "producer_id"),
        sa.Index("ix_mous_distributor", "distributor_id"),
        sa.Index("ix_mous_meeting", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default=MouKind.BUSINESS)
    reference: Mapped[str | None] = mapped_column(sa.String(80))  # e.g. "12/2025/BBGN"
    producer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    distributor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    agency_a: Mapped[str | None] = mapped_column(sa.String(255))
    agency_b: Mapped[str | None] = mapped_column(sa.String(255))
    # Search key of both agency names (matchmaker.text.fold), kept by the validator below.
    agency_key: Mapped[str | None] = mapped_column(sa.String(511))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"))
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meetings.id", ondelete="RESTRICT"))
    signed_on: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    estimated_value_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    volume: Mapped[Decimal | None] = mapped_column(VOLUME)
    unit: Mapped[str | None] = mapped_column(sa.String(20))
    document_path: Mapped[str | None] = mapped_column(sa.String(255))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16))
    close_reason: Mapped[str | None] = mapped_column(sa.String(16))
    close_reason_text: Mapped[str | None] = mapped_column(sa.Text)
    next_step: Mapped[str | None] = mapped_column(sa.Text)
    next_step_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    # The due date the parties were last reminded of, so a daily job reminds once per date.
    next_step_reminded_on: Mapped[date | None] = mapped_column(sa.Date)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the MOU was loaded from an organiser's file of past results.
    imported: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    producer: Mapped[Organisation | None] = relationship(foreign_keys=[producer_id])
    distributor: Mapped[Organisation | None] = relationship(foreign_keys=[distributor_id])
    event: Mapped[Event | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    products: Mapped[list[Product]] = relationship(secondary=mou_products,
                                                   order_by=Product.id)
    categories: Mapped[list[Category]] = relationship(secondary=mou_categories,
                                                      order_by=Category.path)
    contracts: Mapped[list["SupplyContract"]] = relationship(
        back_populates="mou", order_by="SupplyContract.signed_on, SupplyContract.id")

    @validates("agency_a", "agency_b")
    def _normalise_agency(self, key: str, value: str | None) -> str | None:
        value = normalise(value) if value else None
        names = [value if key == name else getattr(self, name) for name in ("agency_a",
                                                                              "agency_b")]
        joined = " ".join(n for n in names if n)
        self.agency_key = fold_to(joined, 511) if joined else None
        return value


class SupplyContract(TimestampMixin, db.Model):
    """A supply contract (hợp đồng cung ứng / tiêu thụ) between a producer and a distributor.

    ``mou_id`` optional; ``event_id`` is the event it is credited to in reports (copied from
    the MOU, or chosen for a contract signed at an event without an MOU). ``value_vnd`` whole
    đồng; ``volume`` in ``unit``; delivery period ``delivery_from`` … ``delivery_to``
    (DATEs). ``end_reason`` is required while terminated or cancelled.
    """

    __tablename__ = "supply_contracts"
    __table_args__ = (
        sa.CheckConstraint(enum_check("status", ContractStatus), name="status_valid"),
        sa.CheckConstraint("producer_id <> distributor_id", name="two_parties"),
        sa.CheckConstraint("length(contract_number) > 0", name="number_not_empty"),
        sa.CheckConstraint("value_vnd >= 0", name="value_not_negative"),
        sa.CheckConstraint("volume IS NULL OR volume > 0", name="volume_positive"),
        sa.CheckConstraint(
            "delivery_to IS NULL OR delivery_from IS NULL OR delivery_to >= delivery_from",
            name="delivery_period_order"),
        sa.CheckConstraint(
            "(status IN ('terminated', 'cancelled')) = (length(coalesce(end_reason, '')) > 0)",
            name="ended_iff_reason"),
        sa.CheckConstraint("version > 0", name="version_positive"),
        sa.Index("ix_supply_contracts_mou", "mou_id"),
        sa.Index("ix_supply_contracts_event", "event_id"),
        sa.Index("ix_supply_contracts_status_signed_on", "status", "signed_on"),
        sa.Index("ix_supply_contracts_producer", "producer_id"),
        sa.Index("ix_supply_contracts_distributor", "distributor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mou_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mous.id", ondelete="RESTRICT"))
    producer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    distributor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"))
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"))
    contract_number: Mapped[str] = mapped_column(sa.String(80))
    signed_on: Mapped[date] = mapped_column(sa.Date)
    value_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    volume: Mapped[Decimal | None] = mapped_column(VOLUME)
    unit: Mapped[str | None] = mapped_column(sa.String(20))
    delivery_from: Mapped[date | None] = mapped_column(sa.Date)
    delivery_to: Mapped[date | None] = mapped_column(sa.Date)
    document_path: Mapped[str | None] = mapped_column(sa.String(255))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16))
    end_reason: Mapped[str | None] = mapped_column(sa.Text)
    imported: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    mou: Mapped[Mou | None] = relationship(back_populates="contracts")
    producer: Mapped[Organisation] = relationship(foreign_keys=[producer_id])
    distributor: Mapped[Organisation] = relationship(foreign_keys=[distributor_id])
    event: Mapped[Event | None] = relationship()
    products: Mapped[list[Product]] = relationship(secondary=contract_products,
                                                   order_by=Product.id)
