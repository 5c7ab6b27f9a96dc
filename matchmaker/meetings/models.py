"""TimeSlot, Meeting and SlotUnavailability: B2B meetings at an event and their schedule.

Times are aware UTC. A meeting joins two *registrations* of one event (its producer side and
its distributor side), so only registered organisations meet. The database itself refuses a
double booking: one participant cannot have two meetings in one time slot, and one table
cannot hold two meetings in one slot (UNIQUE constraints, which hold under concurrent edits
on both SQLite and PostgreSQL).
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.db import TimestampMixin, UTCDateTime, enum_check
from matchmaker.events.models import Event, Registration
from matchmaker.extensions import db


class MeetingStatus(StrEnum):
    """``requested → accepted | declined``, ``scheduled`` (slot + table), ``held | no_show``,
    or ``cancelled`` (DESIGN §2)."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SCHEDULED = "scheduled"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


# Meetings in these states count against a participant's cap and block a second request
# between the same two registrations.
OPEN_MEETING = frozenset({MeetingStatus.REQUESTED, MeetingStatus.ACCEPTED,
                          MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW})
# Meetings in these states occupy their time slot and table.
PLACED = frozenset({MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW})


class ScheduleStatus(StrEnum):
    """An event's meeting schedule: none yet, provisional (organisers only), published."""

    NONE = "none"
    PROVISIONAL = "provisional"
    PUBLISHED = "published"


class TimeSlot(db.Model):
    """One meeting slot of an event: ``position`` 0, 1, … in time order (UTC times).

    Derived from the event's sessions, meeting length and break (see
    :func:`matchmaker.meetings.slots.slot_times`); regenerated only while no meeting uses
    them.
    """

    __tablename__ = "time_slots"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "position", name="uq_time_slots_event_position"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("position >= 0", name="position_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship()


class Meeting(TimestampMixin, db.Model):
    """A B2B meeting between a producer's and a distributor's registration at one event.

    ``requested_by_side`` says which side asked (``producer`` / ``distributor``);
    ``status_note`` holds the reason of the latest decline or cancellation (the full story
    is in ``status_changes``, subject ``meeting``). ``time_slot_id`` and ``table_number``
    are set together, only while the meeting is placed (scheduled, held, no-show).
    """

    __tablename__ = "meetings"
    __table_args__ = (
        sa.CheckConstraint(enum_check("status", MeetingStatus), name="status_valid"),
        sa.CheckConstraint("requested_by_side IN ('producer', 'distributor')",
                           name="requested_by_side_valid"),
        sa.CheckConstraint("(time_slot_id IS NULL) = (table_number IS NULL)",
                           name="slot_and_table_together"),
        sa.CheckConstraint(
            "(status IN ('scheduled', 'held', 'no_show')) = (time_slot_id IS NOT NULL)",
            name="placed_iff_slot"),
        sa.CheckConstraint("table_number IS NULL OR table_number > 0", name="table_positive"),
        sa.CheckConstraint("producer_registration_id <> distributor_registration_id",
                           name="two_parties"),
        # Nobody in two meetings at once; one meeting per table per slot.
        sa.UniqueConstraint("producer_registration_id", "time_slot_id",
                            name="uq_meetings_producer_slot"),
        sa.UniqueConstraint("distributor_registration_id", "time_slot_id",
                            name="uq_meetings_distributor_slot"),
        sa.UniqueConstraint("time_slot_id", "table_number", name="uq_meetings_slot_table"),
        # One open meeting per pair of registrations (a declined or cancelled one may be
        # asked again).
        sa.Index("uq_meetings_open_pair", "producer_registration_id",
                 "distributor_registration_id", unique=True,
                 sqlite_where=sa.text("status NOT IN ('declined', 'cancelled')"),
                 postgresql_where=sa.text("status NOT IN ('declined', 'cancelled')")),
        sa.Index("ix_meetings_event_status", "event_id", "status"),
        sa.Index("ix_meetings_distributor", "distributor_registration_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="RESTRICT"))
    producer_registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="RESTRICT"))
    distributor_registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="RESTRICT"))
    requested_by_side: Mapped[str] = mapped_column(sa.String(16))
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    message: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16))
    status_note: Mapped[str | None] = mapped_column(sa.Text)
    time_slot_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("time_slots.id", ondelete="RESTRICT"))
    table_number: Mapped[int | None] = mapped_column(sa.SmallInteger)
    outcome_note: Mapped[str | None] = mapped_column(sa.Text)

    event: Mapped[Event] = relationship()
    producer_registration: Mapped[Registration] = relationship(
        foreign_keys=[producer_registration_id])
    distributor_registration: Mapped[Registration] = relationship(
        foreign_keys=[distributor_registration_id])
    time_slot: Mapped[TimeSlot | None] = relationship()


class SlotUnavailability(db.Model):
    """A participant (registration) cannot meet in a time slot."""

    __tablename__ = "slot_unavailability"

    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True)
    time_slot_id: Mapped[int] = mapped_column(
        sa.ForeignKey("time_slots.id", ondelete="CASCADE"), primary_key=True, index=True)
