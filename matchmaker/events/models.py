"""Event, EventSession, Registration, RegistrationDelegate and their link tables.

Times are aware UTC (:class:`matchmaker.db.UTCDateTime`); pages enter and show them in
Asia/Ho_Chi_Minh (:mod:`matchmaker.timeutil`).
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from matchmaker.catalogue.models import Category, Product, SourcingNeed
from matchmaker.db import TimestampMixin, UTCDateTime, enum_check
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation
from matchmaker.text import fold_to, normalise

MAX_DELEGATES = 5
TITLE_LENGTH = 255
NAME_LENGTH = 120


class EventStatus(StrEnum):
    """``draft → published → registration_closed → finished``, or ``cancelled`` (DESIGN §2)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    REGISTRATION_CLOSED = "registration_closed"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class RegistrationSide(StrEnum):
    """The side an organisation takes at one event (a "both" organisation chooses)."""

    PRODUCER = "producer"
    DISTRIBUTOR = "distributor"


class RegistrationStatus(StrEnum):
    """``pending → approved | rejected``, ``waitlisted`` beyond capacity, ``cancelled`` by the
    member, ``checked_in`` on the day (from ``approved``)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"


# Registrations in these states hold one of their side's places.
HOLDS_PLACE = frozenset({RegistrationStatus.PENDING, RegistrationStatus.APPROVED,
                         RegistrationStatus.CHECKED_IN})
# Registrations still in play: their delegates and offer may change.
ACTIVE = HOLDS_PLACE | {RegistrationStatus.WAITLISTED}
# States the organisation may cancel from, or an organiser reject from: not once checked in.
CANCELLABLE = ACTIVE - {RegistrationStatus.CHECKED_IN}


event_categories = sa.Table(
    "event_categories",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="RESTRICT"),
              primary_key=True, index=True),
)


class Event(TimestampMixin, db.Model):
    """A business-matching conference (hội nghị kết nối cung cầu).

    Capacities count organisations per side. Meeting settings feed the B2B scheduler:
    ``meeting_minutes`` per meeting, ``break_minutes`` between two meetings at a table,
    ``table_count`` tables, and the :class:`EventSession` blocks (breaks between sessions,
    e.g. lunch, are the gaps between them). The database refuses an end before the start, a
    registration window that opens after it closes or closes after the event ends, and zero
    tables or places.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint(enum_check("status", EventStatus), name="status_valid"),
        sa.CheckConstraint("length(title) > 0", name="title_not_empty"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("registration_closes_at > registration_opens_at",
                           name="registration_window_order"),
        sa.CheckConstraint("registration_closes_at <= ends_at",
                           name="registration_closes_by_end"),
        sa.CheckConstraint("producer_capacity > 0 AND distributor_capacity > 0",
                           name="capacity_positive"),
        sa.CheckConstraint("table_count > 0", name="tables_positive"),
        sa.CheckConstraint("meeting_minutes BETWEEN 5 AND 240", name="meeting_minutes_valid"),
        sa.CheckConstraint("break_minutes BETWEEN 0 AND 120", name="break_minutes_valid"),
        sa.CheckConstraint("meeting_cap IS NULL OR meeting_cap > 0", name="meeting_cap_positive"),
        sa.CheckConstraint("schedule_status IN ('none', 'provisional', 'published')",
                           name="schedule_status_valid"),
        sa.CheckConstraint(
            "status <> 'cancelled' OR length(coalesce(cancel_reason, '')) > 0",
            name="cancel_has_reason"),
        sa.Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    title_key: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    description: Mapped[str | None] = mapped_column(sa.Text)
    venue: Mapped[str | None] = mapped_column(sa.String(255))
    province_code: Mapped[int | None] = mapped_column(sa.SmallInteger)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    producer_capacity: Mapped[int] = mapped_column(sa.Integer)
    distributor_capacity: Mapped[int] = mapped_column(sa.Integer)
    requires_approval: Mapped[bool] = mapped_column(
        sa.Boolean, default=True, server_default=sa.true())
    meeting_minutes: Mapped[int] = mapped_column(sa.SmallInteger, default=20)
    break_minutes: Mapped[int] = mapped_column(sa.SmallInteger, default=5)
    table_count: Mapped[int] = mapped_column(sa.SmallInteger)
    status: Mapped[str] = mapped_column(sa.String(24), default=EventStatus.DRAFT)
    # Most meetings one participant may have (requested, accepted or placed); None = no cap.
    meeting_cap: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # The B2B schedule: none, provisional (organisers only) or published (see meetings).
    schedule_status: Mapped[str] = mapped_column(sa.String(16), default="none",
                                                 server_default="none")
    schedule_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    categories: Mapped[list[Category]] = relationship(
        secondary=event_categories, order_by=Category.path)
    sessions: Mapped[list["EventSession"]] = relationship(
        cascade="all, delete-orphan", order_by="EventSession.starts_at",
        back_populates="event")

    @validates("title")
    def _normalise_title(self, _key: str, value: str) -> str:
        value = normalise(value)
        self.title_key = fold_to(value, TITLE_LENGTH)
        return value

    def capacity(self, side: str) -> int:
        """Places for ``side`` (``producer`` or ``distributor``)."""
        return (self.producer_capacity if side == RegistrationSide.PRODUCER
                else self.distributor_capacity)

    @property
    def is_public(self) -> bool:
        """Visible to everyone: published once (a later cancellation stays visible, with
        its reason, to those who registered and anyone who saw it)."""
        return self.published_at is not None

    def registration_open(self, now: datetime) -> bool:
        """True when organisations may register at ``now`` (aware UTC)."""
        return (self.status == EventStatus.PUBLISHED
                and self.registration_opens_at <= now < self.registration_closes_at)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title!r} {self.status}>"


class EventSession(db.Model):
    """A block of B2B meetings within the event (e.g. 08:30–11:30), UTC."""

    __tablename__ = "event_sessions"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship(back_populates="sessions")


registration_products = sa.Table(
    "registration_products",
    db.metadata,
    sa.Column("registration_id", sa.ForeignKey("registrations.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)

registration_needs = sa.Table(
    "registration_needs",
    db.metadata,
    sa.Column("registration_id", sa.ForeignKey("registrations.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("sourcing_need_id", sa.ForeignKey("sourcing_needs.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)


class Registration(TimestampMixin, db.Model):
    """An organisation's registration for one event, on one side.

    One per organisation per event (a UNIQUE); a cancelled registration is reopened rather
    than duplicated. ``queued_at`` orders the waitlist (first come, first promoted); it is
    set whenever the registration (re)enters the queue. ``status_note`` holds the reason of
    the latest rejection or cancellation; the full story is in ``status_changes``.
    """

    __tablename__ = "registrations"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "organisation_id", name="uq_registrations_event_org"),
        sa.CheckConstraint(enum_check("side", RegistrationSide), name="side_valid"),
        sa.CheckConstraint(enum_check("status", RegistrationStatus), name="status_valid"),
        sa.CheckConstraint(
            "status <> 'rejected' OR length(coalesce(status_note, '')) > 0",
            name="rejection_has_reason"),
        sa.CheckConstraint("status <> 'checked_in' OR checked_in_at IS NOT NULL",
                           name="checked_in_has_time"),
        sa.Index("ix_registrations_event_side_status", "event_id", "side", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    side: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    organisation: Mapped[Organisation] = relationship()
    delegates: Mapped[list["RegistrationDelegate"]] = relationship(
        cascade="all, delete-orphan", order_by="RegistrationDelegate.position",
        back_populates="registration")
    products: Mapped[list[Product]] = relationship(
        secondary=registration_products, order_by=Product.name_sort_key)
    needs: Mapped[list[SourcingNeed]] = relationship(
        secondary=registration_needs, order_by=SourcingNeed.id)

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDS_PLACE

    def __repr__(self) -> str:
        return f"<Registration {self.id} event={self.event_id} org={self.organisation_id} " \
               f"{self.side} {self.status}>"


class RegistrationDelegate(db.Model):
    """One of the 1-5 people an organisation sends; ``phone`` is E.164 (+84…) or NULL."""

    __tablename__ = "registration_delegates"
    __table_args__ = (
        sa.CheckConstraint(f"position >= 0 AND position < {MAX_DELEGATES}",
                           name="position_valid"),
        sa.CheckConstraint("length(full_name) > 0", name="name_not_empty"),
        sa.UniqueConstraint("registration_id", "position",
                            name="uq_registration_delegates_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    full_name: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(sa.String(NAME_LENGTH))
    job_title: Mapped[str | None] = mapped_column(sa.String(NAME_LENGTH))
    phone: Mapped[str | None] = mapped_column(sa.String(20))

    registration: Mapped[Registration] = relationship(back_populates="delegates")

    @validates("full_name")
    def _normalise_name(self, _key: str, value: str) -> str:
        value = normalise(value)
        self.name_key = fold_to(value, NAME_LENGTH)
        return value
