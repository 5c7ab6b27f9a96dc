"""Access-matrix rows for notifications, and a helper that makes them.

World: ``notification_a`` belongs to member A, ``notification_b`` to member B. Every
logged-in user sees the list (their own notifications only); a notification can be opened
only by the person it was written for: anyone else, admins included, gets 404.
"""

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.notifications.models import Notification
from tests.access import LOGIN_REDIRECT, Case, logged_in


def make_notification(user, kind: str = "registration.approved", params: dict | None = None,
                      link: str | None = "/notifications/", **values) -> Notification:
    """A committed notification for ``user`` (default: a registration was approved)."""
    notification = Notification(
        user_id=sa.inspect(user).identity[0], kind=kind, link=link,
        params=params if params is not None else {
            "event_id": 1, "event_title": "Hội nghị kết nối cung cầu OCOP", "note": ""},
        **values)
    db.session.add(notification)
    db.session.commit()
    return notification


def setup(world: dict) -> None:
    world["notification_a"] = make_notification(world["member_a"])
    world["notification_b"] = make_notification(world["member_b"])


def _open_url(key):
    return lambda w: f"/notifications/{sa.inspect(w[key]).identity[0]}/open"


ONLY_A = {"anon": LOGIN_REDIRECT, "member_a": 302, "member_b": 404, "organiser": 404,
          "admin": 404}
ONLY_B = {"anon": LOGIN_REDIRECT, "member_a": 404, "member_b": 302, "organiser": 404,
          "admin": 404}

CASES = [
    Case("GET", "/notifications/", "/notifications/", logged_in(200)),
    Case("POST", "/notifications/<int:notification_id>/open", _open_url("notification_a"),
         ONLY_A),
    Case("POST", "/notifications/<int:notification_id>/open", _open_url("notification_b"),
         ONLY_B),
    Case("POST", "/notifications/<int:notification_id>/open", "/notifications/2147483647/open",
         {"anon": LOGIN_REDIRECT, "member_a": 404, "member_b": 404, "organiser": 404,
          "admin": 404}),
    Case("POST", "/notifications/read-all", "/notifications/read-all", logged_in(302)),
]
