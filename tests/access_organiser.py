"""Access-matrix rows for the organiser tools (registration list, check-in, badges, export),
and the helper that registers organisations in tests.

World: ``organiser_event`` is a published event; organisation A (producer) has a pending
registration (the one acted on: approved, rejected, checked in), organisation B
(distributor) an approved one. Every route is staff-only: members of either organisation
get 403, anonymous visitors are sent to log in.
"""

import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.events import registration as reg
from matchmaker.events.models import Registration
from matchmaker.extensions import db
from tests.access import Case, staff_only
from tests.access_events import make_event


def register(event, organisation, side, delegates=(("Nguyễn Văn An", "Giám đốc", None),),
             product_ids=(), need_ids=(), approve_by=None) -> Registration:
    """Register ``organisation`` through the service (committed). ``delegates`` are
    ``(name, job title, E.164 phone)`` tuples; ``approve_by`` (a user) approves it at once."""
    db.session.rollback()  # a stale read snapshot may not write on SQLite
    event_id = sa.inspect(event).identity[0]
    with write_transaction():
        found = reg.register(event_id, organisation, side,
                             [reg.Delegate(*d) for d in delegates], product_ids, need_ids)
        if approve_by is not None and found.status == "pending":
            reg.approve(found, sa.inspect(approve_by).identity[0])
        db.session.commit()
    return found


def setup(world: dict) -> None:
    event = make_event("Hội nghị kết nối cung cầu OCOP Nghệ An 2026")
    world["organiser_event_id"] = sa.inspect(event).identity[0]
    a = register(event, world["org_a"], "producer",
                 [("Trần Thị Đào", "Giám đốc", "+84912345678")])
    b = register(event, world["org_b"], "distributor",
                 [("Lê Văn Đức", "Trưởng phòng thu mua", None)], approve_by=world["organiser"])
    world["registration_a_id"] = sa.inspect(a).identity[0]
    world["registration_b_id"] = sa.inspect(b).identity[0]


def _event(suffix: str):
    return lambda w: f"/events/{w['organiser_event_id']}{suffix}"


def _registration(key: str, suffix: str):
    return lambda w: f"/registrations/{w[key]}{suffix}"


CASES = [
    Case("GET", "/events/<int:event_id>/registrations", _event("/registrations"),
         staff_only()),
    Case("GET", "/events/<int:event_id>/registrations",
         _event("/registrations?q=dao&side=producer&status=pending"), staff_only()),
    Case("POST", "/events/<int:event_id>/registrations/approve",
         _event("/registrations/approve"), staff_only(302),
         data=lambda w: {"ids": [str(w["registration_a_id"])]}),
    Case("POST", "/registrations/<int:registration_id>/approve",
         _registration("registration_a_id", "/approve"), staff_only(302)),
    # Without a reason the list is shown again with the message (nothing changes).
    Case("POST", "/registrations/<int:registration_id>/reject",
         _registration("registration_a_id", "/reject"), staff_only(), data={"reason": ""}),
    Case("POST", "/registrations/<int:registration_id>/reject",
         _registration("registration_b_id", "/reject"), staff_only(302),
         data={"reason": "Không đúng đối tượng."}),
    Case("GET", "/events/<int:event_id>/check-in", _event("/check-in"), staff_only()),
    Case("GET", "/events/<int:event_id>/check-in", _event("/check-in?q=duc"), staff_only()),
    Case("POST", "/registrations/<int:registration_id>/check-in",
         _registration("registration_b_id", "/check-in"), staff_only(302),
         data={"q": "duc"}),
    Case("POST", "/registrations/<int:registration_id>/undo-check-in",
         _registration("registration_b_id", "/undo-check-in"), staff_only(302)),
    Case("GET", "/events/<int:event_id>/badges", _event("/badges"), staff_only()),
    Case("GET", "/events/<int:event_id>/badges", _event("/badges?cards=1"), staff_only()),
    Case("GET", "/events/<int:event_id>/participants.<any(xlsx, csv):fmt>",
         _event("/participants.xlsx"), staff_only()),
    Case("GET", "/events/<int:event_id>/participants.<any(xlsx, csv):fmt>",
         _event("/participants.csv?status=all"), staff_only()),
]
