"""Notification model (``notifications`` table)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import UTCDateTime
from matchmaker.extensions import db
from matchmaker.timeutil import utcnow


class Notification(db.Model):
    """An in-app message for one user.

    The text is not stored: ``kind`` names a message template and ``params`` (JSON: strings
    and numbers) fills it, so each reader sees it in their own language at display time
    (:mod:`matchmaker.notifications.messages`). ``link`` is a path inside the site.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(48))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
