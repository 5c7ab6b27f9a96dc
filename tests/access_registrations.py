"""Access-matrix rows for the members' registration pages.

World: ``reg_event`` (published, registration open) where organisation A (a producer) is
registered; ``reg_free_event`` (open) where nobody is; ``reg_draft_event`` (a draft).
Members of another organisation (B) get **404** on A's registration, its edit page and its
cancel action alike. Staff may view, change and cancel any registration, but never register
(they are not an organisation: 403) and have no "my registrations" list (403).
"""

import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.events import registration as registrations
from matchmaker.events.models import EventStatus, RegistrationSide
from matchmaker.extensions import db
from tests.access import LOGIN_REDIRECT, Case, owner_and_staff
from tests.access_events import make_event

MEMBERS_ONLY = {"anon": LOGIN_REDIRECT, "member_a": 200, "member_b": 200, "organiser": 403,
                "admin": 403}


def register_org(event, organisation, user=None, side=RegistrationSide.PRODUCER, **kwargs):
    """Register ``organisation`` through the service and commit; returns the id."""
    db.session.rollback()  # a stale SQLite read snapshot may not write
    with write_transaction():
        registration = registrations.register(
            sa.inspect(event).identity[0], organisation, side,
            kwargs.pop("delegates", [registrations.Delegate("Nguyễn Văn An", "Giám đốc",
                                                            "+84912345678")]),
            by_user_id=None if user is None else sa.inspect(user).identity[0], **kwargs)
        registration_id = registration.id
        db.session.commit()
    return registration_id


def setup(world: dict) -> None:
    world["reg_event"] = make_event("Hội nghị kết nối cung cầu Vinh 2026")
    world["reg_free_event"] = make_event("Hội chợ OCOP Diễn Châu")
    world["reg_draft_event"] = make_event("Hội nghị nháp", status=EventStatus.DRAFT)
    for key in ("reg_event", "reg_free_event", "reg_draft_event"):
        world[f"{key}_id"] = sa.inspect(world[key]).identity[0]
    world["registration_id"] = register_org(world["reg_event"], world["org_a"],
                                            world["member_a"])


def _register_url(key: str):
    return lambda w: f"/events/{w[key]}/register"


def _registration_url(suffix: str = ""):
    return lambda w: f"/registrations/{w['registration_id']}{suffix}"


def _fresh_cancel_url(w):
    # Each visitor cancels a registration of its own (a cancelled one cannot be cancelled).
    db.session.rollback()
    event = make_event("Hội nghị huỷ đăng ký")
    return f"/registrations/{register_org(event, w['org_a'])}/cancel"


REGISTER_ALREADY = {"anon": LOGIN_REDIRECT, "member_a": 302, "member_b": 200,
                    "organiser": 403, "admin": 403}
REGISTER_DRAFT = {"anon": LOGIN_REDIRECT, "member_a": 404, "member_b": 404,
                  "organiser": 403, "admin": 403}
OWNER_STAFF = owner_and_staff(200, other=404)
REGISTER_RULE = "/events/<int:event_id>/register"

CASES = [
    Case("GET", REGISTER_RULE, _register_url("reg_free_event_id"), MEMBERS_ONLY),
    Case("GET", REGISTER_RULE, _register_url("reg_event_id"), REGISTER_ALREADY),
    Case("GET", REGISTER_RULE, _register_url("reg_draft_event_id"), REGISTER_DRAFT),
    # Nothing named: the form comes back with its messages and nothing is saved.
    Case("POST", REGISTER_RULE, _register_url("reg_free_event_id"), MEMBERS_ONLY,
         data={"delegates-0-full_name": ""}),
    Case("POST", REGISTER_RULE, _register_url("reg_draft_event_id"), REGISTER_DRAFT,
         data={"delegates-0-full_name": "Lê Văn Bình"}),
    Case("GET", "/registrations/", "/registrations/", MEMBERS_ONLY),
    Case("GET", "/registrations/<int:registration_id>", _registration_url(), OWNER_STAFF),
    Case("GET", "/registrations/<int:registration_id>/edit", _registration_url("/edit"),
         OWNER_STAFF),
    Case("POST", "/registrations/<int:registration_id>/edit", _registration_url("/edit"),
         OWNER_STAFF, data={"delegates-0-full_name": ""}),
    # Without the confirmation the page comes back with a message; nothing changes.
    Case("POST", "/registrations/<int:registration_id>/cancel", _registration_url("/cancel"),
         OWNER_STAFF, data={"reason": "Bận việc"}),
    Case("POST", "/registrations/<int:registration_id>/cancel", _fresh_cancel_url,
         owner_and_staff(302, other=404), data={"confirm": "y", "reason": "Bận việc"}),
]
