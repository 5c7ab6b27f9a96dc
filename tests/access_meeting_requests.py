"""Access-matrix rows for meeting requests, and helpers other meeting tests import.

World: ``mt_event`` (published, automatic approval, starts in 30 days) where organisation A
(a producer), B (a distributor) and two more distributors, C and D, are approved. A has
asked B for a meeting (``mt_meeting_ab``) and C (``mt_meeting_ac``). ``mt_solo_event``: only
A is registered; ``mt_draft_event``: a draft. For A's meeting with C, B's member is "a member
of another organisation" and gets **404** on every action. Staff never request, accept or
decline (403), but may cancel any meeting and set the cap.
"""

import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.events.models import EventStatus, RegistrationSide
from matchmaker.extensions import db
from matchmaker.meetings import requests as meetings
from matchmaker.organisations.models import Side
from tests import factories
from tests.access import LOGIN_REDIRECT, Case
from tests.access_events import make_event
from tests.access_registrations import register_org

P, D = RegistrationSide.PRODUCER, RegistrationSide.DISTRIBUTOR


def ident(obj) -> int:
    """The primary key without reading an expired attribute (see tests/conftest.py)."""
    return sa.inspect(obj).identity[0]


def meeting_event(title: str = "Hội nghị giao thương B2B Vinh", **values):
    """A published event with automatic approval (registrations are approved at once)."""
    values.setdefault("requires_approval", False)
    return make_event(title, **values)


def ask(event, requester_org, counterpart_registration_id: int, user=None,
        message: str | None = None) -> int:
    """Request a meeting through the service and commit; returns the meeting id."""
    db.session.rollback()  # a stale SQLite read snapshot may not write
    with write_transaction():
        meeting = meetings.request_meeting(
            ident(event), ident(requester_org), counterpart_registration_id,
            None if user is None else ident(user), message)
        meeting_id = meeting.id
        db.session.commit()
    return meeting_id


def setup(world: dict) -> None:
    event = world["mt_event"] = meeting_event()
    world["mt_event_id"] = ident(event)
    world["org_c"] = factories.make_organisation("Siêu thị Cửa Lò", Side.DISTRIBUTOR)
    world["org_d"] = factories.make_organisation("Công ty TNHH Phân phối Hoàng Mai",
                                                 Side.DISTRIBUTOR)
    world["mt_reg_a"] = register_org(event, world["org_a"], world["member_a"], side=P)
    world["mt_reg_b"] = register_org(event, world["org_b"], world["member_b"], side=D)
    world["mt_reg_c"] = register_org(event, world["org_c"], side=D)
    world["mt_reg_d"] = register_org(event, world["org_d"], side=D)
    world["mt_meeting_ab"] = ask(event, world["org_a"], world["mt_reg_b"], world["member_a"])
    world["mt_meeting_ac"] = ask(event, world["org_a"], world["mt_reg_c"], world["member_a"])
    solo = meeting_event("Hội chợ OCOP Quỳnh Lưu")
    world["mt_solo_event_id"] = ident(solo)
    register_org(solo, world["org_a"], side=P)
    world["mt_draft_event_id"] = ident(make_event("Hội nghị B2B nháp", status=EventStatus.DRAFT))


def _fresh_meeting(w) -> int:
    """A new event where A has just asked B for a meeting (each visitor acts on its own)."""
    db.session.rollback()
    event = meeting_event("Hội nghị B2B Cửa Lò")
    register_org(event, w["org_a"], side=P)
    reg_b = register_org(event, w["org_b"], side=D)
    return ask(event, w["org_a"], reg_b)


def _event_url(key: str, suffix: str):
    return lambda w: f"/events/{w[key]}{suffix}"


def _meeting_url(key: str, action: str):
    return lambda w: f"/meetings/{w[key]}/{action}"


def _fresh_url(action: str):
    return lambda w: f"/meetings/{_fresh_meeting(w)}/{action}"


def _request_url(reg_key: str):
    return lambda w: f"/events/{w['mt_event_id']}/meetings/request/{w[reg_key]}"


def expect(anon=LOGIN_REDIRECT, a=200, b=200, organiser=200, admin=None) -> dict[str, int]:
    return {"anon": anon, "member_a": a, "member_b": b, "organiser": organiser,
            "admin": organiser if admin is None else admin}


PARTICIPANTS = "/events/<int:event_id>/participants"
REQUEST_FORM = "/events/<int:event_id>/meetings/request/<int:registration_id>"
REQUEST = "/events/<int:event_id>/meetings/request"
AVAILABILITY = "/events/<int:event_id>/availability"

CASES = [
    Case("GET", PARTICIPANTS, _event_url("mt_event_id", "/participants"), expect()),
    # B is not registered there: the page explains instead of listing (no list, 200).
    Case("GET", PARTICIPANTS, _event_url("mt_solo_event_id", "/participants"), expect()),
    Case("GET", PARTICIPANTS, _event_url("mt_draft_event_id", "/participants"),
         expect(a=404, b=404)),
    # A producer asks a distributor; B (a distributor) would be asking its own side: 404.
    Case("GET", REQUEST_FORM, _request_url("mt_reg_d"), expect(b=404, organiser=403)),
    Case("GET", REQUEST_FORM, _request_url("mt_reg_a"), expect(a=404, organiser=403)),
    # Too long a message: the form comes back with the error; nothing is saved.
    Case("POST", REQUEST_FORM, _request_url("mt_reg_d"), expect(b=404, organiser=403),
         data={"message": "x" * 501}),
    Case("POST", REQUEST, _event_url("mt_event_id", "/meetings/request"),
         expect(a=302, b=404, organiser=403), data=lambda w: {"registration_id": w["mt_reg_d"]}),
    Case("POST", REQUEST, _event_url("mt_solo_event_id", "/meetings/request"),
         expect(a=404, b=403, organiser=403),
         data=lambda w: {"registration_id": w["mt_reg_d"]}),
    Case("GET", "/meetings/", "/meetings/", expect(organiser=403)),
    Case("POST", "/meetings/<int:meeting_id>/accept", _meeting_url("mt_meeting_ab", "accept"),
         expect(a=403, b=302, organiser=403)),
    Case("POST", "/meetings/<int:meeting_id>/accept", _meeting_url("mt_meeting_ac", "accept"),
         expect(a=403, b=404, organiser=403)),
    Case("POST", "/meetings/<int:meeting_id>/decline", _fresh_url("decline"),
         expect(a=403, b=302, organiser=403), data={"reason": "Đã có nhà cung cấp"}),
    Case("POST", "/meetings/<int:meeting_id>/decline", _meeting_url("mt_meeting_ac", "decline"),
         expect(a=403, b=404, organiser=403)),
    Case("POST", "/meetings/<int:meeting_id>/cancel", _fresh_url("cancel"),
         expect(a=302, b=302, organiser=302)),
    Case("POST", "/meetings/<int:meeting_id>/cancel", _meeting_url("mt_meeting_ac", "cancel"),
         expect(a=302, b=404, organiser=302)),
    Case("GET", AVAILABILITY, _event_url("mt_event_id", "/availability"), expect()),
    Case("GET", AVAILABILITY, _event_url("mt_solo_event_id", "/availability"), expect(b=403)),
    Case("POST", AVAILABILITY, _event_url("mt_event_id", "/availability"),
         expect(a=302, b=302, organiser=403), data={"slots": []}),
    Case("POST", "/events/<int:event_id>/meeting-cap", _event_url("mt_event_id", "/meeting-cap"),
         expect(a=403, b=403, organiser=302), data={"meeting_cap": "5"}),
]
