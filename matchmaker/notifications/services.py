"""Creating notifications (and, later in this module, their e-mails)."""

from collections.abc import Iterable

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.notifications.models import Notification


def member_ids(organisation_id: int) -> list[int]:
    """Ids of the active users of an organisation."""
    from matchmaker.auth.models import User

    return list(db.session.scalars(sa.select(User.id).where(
        User.organisation_id == organisation_id, User.active.is_(True))))


def notify(user_ids: Iterable[int], kind: str, params: dict, link: str | None) -> None:
    """Add one notification of ``kind`` per user; flushes, never commits."""
    db.session.add_all(Notification(user_id=uid, kind=kind, params=params, link=link)
                       for uid in user_ids)
    db.session.flush()


def registration_changed(registration, change) -> None:
    """Tell the organisation's members that their registration's status changed."""
    notify(member_ids(registration.organisation_id), f"registration.{change.to_status}",
           {"event_id": registration.event_id, "registration_id": registration.id,
            "note": change.note or ""},
           f"/registrations/{registration.id}")
