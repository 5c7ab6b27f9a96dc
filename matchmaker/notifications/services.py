"""Creating notifications and their emails; reading and marking them.

Each notification is a row per recipient (see :mod:`matchmaker.notifications.models`) and,
unless told otherwise, an email in the recipient's language, sent once the transaction
commits (:mod:`matchmaker.notifications.mail`). Functions flush, never commit.
"""

from collections.abc import Iterable

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.notifications import mail
from matchmaker.notifications.models import Notification
from matchmaker.timeutil import utcnow

# Changes made on site by the organiser's staff: the people are there, an email adds noise.
NO_EMAIL_STATUSES = frozenset({"checked_in"})


def member_ids(organisation_id: int) -> list[int]:
    """Ids of the active users of an organisation."""
    from matchmaker.auth.models import User

    return list(db.session.scalars(sa.select(User.id).where(
        User.organisation_id == organisation_id, User.active.is_(True))))


def notify(user_ids: Iterable[int], kind: str, params: dict, link: str | None,
           email: bool = True) -> int:
    """Add one notification of ``kind`` per user (duplicates ignored) and, when ``email``,
    queue its email for after the commit. ``params``: JSON strings and numbers (see
    :mod:`matchmaker.notifications.messages`); ``link``: a path inside the site. Flushes,
    never commits. Returns the number of notifications added."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return 0
    db.session.add_all(Notification(user_id=uid, kind=kind, params=dict(params), link=link)
                       for uid in ids)
    db.session.flush()
    if email:
        mail.queue_notification_emails(ids, kind, params, link)
    return len(ids)


def _event_title(event_id: int) -> str:
    from matchmaker.events.models import Event

    # The event is in the session already (the registration rules lock it first): no query.
    event = db.session.get(Event, event_id)
    return event.title if event is not None else ""


def registration_changed(registration, change) -> None:
    """Tell the organisation's members that their registration's status changed.

    ``change`` is the :class:`~matchmaker.history.StatusChange` just recorded. The member
    who made the change (``change.changed_by_id``) is not told about their own action; the
    organisation's other members are. A check-in, or its undoing, is not emailed.
    """
    recipients = [uid for uid in member_ids(registration.organisation_id)
                  if uid != change.changed_by_id]
    on_site = change.to_status in NO_EMAIL_STATUSES or change.from_status in NO_EMAIL_STATUSES
    notify(recipients, f"registration.{change.to_status}",
           {"event_id": registration.event_id, "event_title": _event_title(registration.event_id),
            "registration_id": registration.id, "from_status": change.from_status,
            "note": change.note or ""},
           f"/registrations/{registration.id}", email=not on_site)


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
           {"event_id": event.id, "event_title": event.title, "note": event.cancel_reason or ""},
           f"/events/{event.id}")


def user_notifications(user_id: int):
    """Statement selecting the user's notifications, newest first (for pagination)."""
    return (sa.select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def get_own(user_id: int, notification_id: int) -> Notification | None:
    """The notification if it belongs to ``user_id``, else ``None`` (also for admins:
    notifications are private)."""
    return db.session.scalar(sa.select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user_id))


def mark_read(notification: Notification) -> None:
    """Mark one notification read (keeps the first reading time). Flushes."""
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return result.rowcount or 0


def safe_link(link: str | None) -> str | None:
    """``link`` if it is a path inside this site (``/…`` but not ``//…`` or ``/\\…``),
    else ``None``: a stored link must never send the reader elsewhere."""
    if not link or not link.startswith("/") or link.startswith(("//", "/\\")):
        return None
    if any(ch in link for ch in "\r\n\t") or "\\" in link:
        return None
    return link
