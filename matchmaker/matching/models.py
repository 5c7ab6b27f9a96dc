"""MatchDecision: what people decided about a suggested producer × distributor pair.

Suggestions themselves are computed, never stored (:mod:`matchmaker.matching.index`); only
the decisions that change them are:

* ``not_interested`` — a participant's "no thanks" (``decided_side`` is their side); the
  pair is no longer suggested to that side;
* ``excluded`` — an organiser removes the pair (``reason``: competitor, existing partner,
  other), so neither side sees it;
* ``pinned`` — an organiser keeps the pair at the top of both sides' suggestions.

``event_id`` NULL means platform-wide (outside any event).
"""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import UTCDateTime, enum_check
from matchmaker.extensions import db
from matchmaker.timeutil import utcnow


class DecisionKind(StrEnum):
    NOT_INTERESTED = "not_interested"
    EXCLUDED = "excluded"
    PINNED = "pinned"


class DecidedSide(StrEnum):
    PRODUCER = "producer"
    DISTRIBUTOR = "distributor"
    ORGANISER = "organiser"


class ExclusionReason(StrEnum):
    COMPETITOR = "competitor"
    EXISTING_PARTNER = "existing_partner"
    OTHER = "other"


class MatchDecision(db.Model):
    """One decision about the pair (``producer_id``, ``distributor_id``), organisation ids."""

    __tablename__ = "match_decisions"
    __table_args__ = (
        sa.CheckConstraint(enum_check("kind", DecisionKind), name="kind_valid"),
        sa.CheckConstraint(enum_check("decided_side", DecidedSide), name="decided_side_valid"),
        sa.CheckConstraint(enum_check("reason", ExclusionReason), name="reason_valid"),
        sa.CheckConstraint(
            "(kind = 'not_interested') = (decided_side <> 'organiser')",
            name="participants_say_no_thanks_organisers_decide"),
        sa.CheckConstraint("producer_id <> distributor_id", name="two_organisations"),
        sa.UniqueConstraint("event_id", "producer_id", "distributor_id", "kind",
                            "decided_side", name="uq_match_decisions_once"),
        sa.Index("ix_match_decisions_event_producer", "event_id", "producer_id"),
        sa.Index("ix_match_decisions_event_distributor", "event_id", "distributor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"))
    producer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    distributor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    decided_side: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.String(24))
    note: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
