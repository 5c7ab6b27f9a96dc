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


def event_cancelled(event) -> None:
    """Tell the members of every organisation still registered that the event is off."""
    from matchmaker.auth.models import User
    from matchmaker.events.models import ACTIVE, Registration

    user_ids = db.session.scalars(
        sa.select(User.id).join(Registration,
                                Registration.organisation_id == User.organisation_id)
        .where(Registration.event_id == event.id, User.active.is_(True),
               Registration.status.in_([s.value for s in ACTIVE])))
    notify(user_ids, "event.cancelled",
           {"event_id": event.id, "note": event.cancel_reason or ""}, f"/events/{event.id}")
