"""Status history: every transition of a registration, meeting, MOU or supply contract.

DESIGN §2 "Status change": who, when (UTC), from, to and a note. One table serves every
kind of subject (``subject_type`` + ``subject_id``) so that reports read one place; rows are
never updated or deleted. The subject's own ``status`` column holds the current state and
:func:`change_status` keeps both in step inside the caller's transaction.
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import UTCDateTime, enum_check
from matchmaker.extensions import db
from matchmaker.timeutil import utcnow


class Subject(StrEnum):
    """Kinds of object whose status is tracked; values are stored in ``subject_type``."""

    EVENT = "event"
    REGISTRATION = "registration"
    MEETING = "meeting"
    MOU = "mou"
    CONTRACT = "contract"


class StatusChange(db.Model):
    """One transition ``from_status`` → ``to_status`` of one subject.

    ``from_status`` is NULL for the first state (creation). ``changed_by_id`` is NULL for
    changes the system made (a waitlist promotion triggered by someone else's cancellation
    names that person; a scheduled job names nobody) or when the account was deleted.
    """

    __tablename__ = "status_changes"
    __table_args__ = (
        sa.CheckConstraint(enum_check("subject_type", Subject), name="subject_type_valid"),
        sa.Index("ix_status_changes_subject", "subject_type", "subject_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(16))
    subject_id: Mapped[int] = mapped_column(sa.Integer)
    from_status: Mapped[str | None] = mapped_column(sa.String(32))
    to_status: Mapped[str] = mapped_column(sa.String(32))
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str | None] = mapped_column(sa.Text)

    changed_by = db.relationship("User", lazy="joined")


def change_status(subject, subject_type: Subject, to_status: str, by_user_id: int | None,
                  note: str | None = None, at: datetime | None = None) -> StatusChange:
    """Set ``subject.status`` to ``to_status`` and record the change; flushes, never commits.

    ``subject`` must have ``id`` (flushed first if new) and ``status`` (``None`` before its
    first state). Returns the :class:`StatusChange` row. Callers check that the transition is
    allowed and hold the lock that makes it safe.
    """
    from_status = None if subject.id is None else subject.status
    subject.status = str(to_status)
    if subject.id is None:
        db.session.flush()
    change = StatusChange(
        subject_type=subject_type.value, subject_id=subject.id, from_status=from_status,
        to_status=str(to_status), changed_by_id=by_user_id, changed_at=at or utcnow(),
        note=note or None)
    db.session.add(change)
    db.session.flush()
    return change


def history(subject_type: Subject, subject_id: int) -> list[StatusChange]:
    """The subject's changes, oldest first (one statement, with who made each)."""
    return list(db.session.scalars(
        sa.select(StatusChange)
        .where(StatusChange.subject_type == subject_type.value,
               StatusChange.subject_id == subject_id)
        .order_by(StatusChange.changed_at, StatusChange.id)))
