"""Access-matrix rows for the meeting schedule (organisers) and agendas (participants), and
the builders the schedule tests import.

World:

* ``sched_event`` (provisional schedule, 3 tables): organisation A (producer) and B
  (distributor) are registered with C (producer) and D (distributor), all approved.
  Meetings: ``sched_m1`` A–B at slot 0 table 1, ``sched_m2`` C–D at slot 0 table 2,
  ``sched_m3`` A–D at slot 1 table 1 (scheduled), ``sched_m4`` C–B accepted, not placed.
* ``sched_pub_event`` (published schedule): A and D registered (B is not), ``sched_m5``
  A–D at slot 0 table 1.

The schedule routes are staff-only. An agenda is its organisation's members' (and
staff's): B's member sees B's own agenda at ``sched_event`` but not A's, and nothing at
``sched_pub_event`` where B is not registered.
"""

from datetime import timedelta

import sqlalchemy as sa

from matchmaker.db import write_transaction
from matchmaker.events import registration as reg
from matchmaker.events.models import Event
from matchmaker.events.registration import lock_event
from matchmaker.extensions import db
from matchmaker.meetings.models import Meeting, MeetingStatus
from matchmaker.meetings.timeslots import ensure_time_slots
from matchmaker.organisations.models import Side
from matchmaker.timeutil import utcnow
from tests import factories
from tests.access import LOGIN_REDIRECT, Case, staff_only
from tests.access_events import make_event


def _id(obj) -> int:
    return sa.inspect(obj).identity[0]


def approved_registration(event_id: int, organisation, side: str, product_ids=(),
                          need_ids=()) -> int:
    """Register ``organisation`` on ``side`` and approve it (service, committed); its id."""
    db.session.rollback()  # a stale SQLite read snapshot may not write
    with write_transaction():
        found = reg.register(event_id, organisation, side,
                             [reg.Delegate("Nguyễn Văn An", "Giám đốc", None)], product_ids,
                             need_ids)
        if found.status == "pending":
            reg.approve(found, None)
        registration_id = found.id
        db.session.commit()
    return registration_id


def add_meetings(event_id: int, pairs, status: str = MeetingStatus.ACCEPTED) -> list[int]:
    """Meetings between ``(producer registration id, distributor registration id)`` pairs,
    created directly with ``status`` (committed); their ids in order."""
    db.session.rollback()
    with write_transaction():
        rows = [Meeting(event_id=event_id, producer_registration_id=p,
                        distributor_registration_id=d, requested_by_side="distributor",
                        status=str(status)) for p, d in pairs]
        db.session.add_all(rows)
        db.session.flush()
        ids = [m.id for m in rows]
        db.session.commit()
    return ids


def slot_ids(event_id: int) -> list[int]:
    """The event's time slot ids in time order (made if needed; committed)."""
    db.session.rollback()
    with write_transaction():
        slots = ensure_time_slots(lock_event(event_id))
        ids = [s.id for s in slots]
        db.session.commit()
    return ids


def place(meeting_id: int, slot_id: int, table: int) -> None:
    """Put a meeting at a slot and table directly (status scheduled; committed)."""
    db.session.rollback()
    with write_transaction():
        meeting = db.session.get(Meeting, meeting_id)
        meeting.time_slot_id, meeting.table_number = slot_id, table
        meeting.status = MeetingStatus.SCHEDULED.value
        db.session.commit()


def set_schedule_status(event_id: int, status: str) -> None:
    from matchmaker.events.models import Event
    from matchmaker.timeutil import utcnow

    db.session.rollback()
    with write_transaction():
        event = db.session.get(Event, event_id)
        event.schedule_status = status
        if status == "published":
            event.schedule_published_at = utcnow()
        db.session.commit()


def setup(world: dict) -> None:
    org_c = factories.make_organisation("Cơ sở nước mắm Cửa Lò", Side.PRODUCER)
    org_d = factories.make_organisation("Siêu thị Vinh Mart", Side.DISTRIBUTOR)
    event_id = _id(make_event("Hội nghị giao thương OCOP Vinh 2026", table_count=3))
    world["sched_event_id"] = event_id
    a = approved_registration(event_id, world["org_a"], "producer")
    b = approved_registration(event_id, world["org_b"], "distributor")
    c = approved_registration(event_id, org_c, "producer")
    d = approved_registration(event_id, org_d, "distributor")
    world["sched_reg_a_id"], world["sched_reg_b_id"] = a, b
    m1, m2, m3, m4 = add_meetings(event_id, [(a, b), (c, d), (a, d), (c, b)])
    slots = slot_ids(event_id)
    place(m1, slots[0], 1)
    place(m2, slots[0], 2)
    place(m3, slots[1], 1)
    set_schedule_status(event_id, "provisional")
    world.update(sched_m1=m1, sched_m2=m2, sched_m3=m3, sched_m4=m4, sched_slots=slots)

    pub_id = _id(make_event("Hội chợ kết nối cung cầu Diễn Châu", table_count=2))
    world["sched_pub_event_id"] = pub_id
    pa = approved_registration(pub_id, world["org_a"], "producer")
    pd = approved_registration(pub_id, org_d, "distributor")
    world["sched_pub_reg_a_id"] = pa
    (m5,) = add_meetings(pub_id, [(pa, pd)])
    place(m5, slot_ids(pub_id)[0], 1)
    set_schedule_status(pub_id, "published")
    world["sched_m5"] = m5
    # The event is under way: outcomes are recorded from its start on.
    db.session.rollback()
    event = db.session.get(Event, pub_id)
    event.starts_at = utcnow() - timedelta(minutes=5)
    event.registration_opens_at = event.starts_at - timedelta(days=2)
    event.registration_closes_at = event.starts_at - timedelta(days=1)
    db.session.commit()


def _url(key: str, suffix: str):
    return lambda w: f"/events/{w[key]}{suffix}"


def _with_reg(key: str, reg_key: str, suffix: str):
    return lambda w: f"/events/{w[key]}{suffix}?registration={w[reg_key]}"


def _agenda(member_a: int, member_b: int, staff: int) -> dict[str, int]:
    return {"anon": LOGIN_REDIRECT, "member_a": member_a, "member_b": member_b,
            "organiser": staff, "admin": staff}


SCHEDULE = "/events/<int:event_id>/schedule"
CASES = [
    Case("GET", SCHEDULE, _url("sched_event_id", "/schedule"), staff_only()),
    Case("GET", SCHEDULE, lambda w: f"/events/{w['sched_event_id']}/schedule"
         f"?meeting={w['sched_m4']}&slot={w['sched_slots'][1]}&table=2", staff_only()),
    Case("GET", SCHEDULE, _url("sched_pub_event_id", "/schedule"), staff_only()),
    Case("POST", SCHEDULE + "/generate", _url("sched_event_id", "/schedule/generate"),
         staff_only(302)),
    # Published: generating again is refused (flash, back to the page).
    Case("POST", SCHEDULE + "/generate", _url("sched_pub_event_id", "/schedule/generate"),
         staff_only(302)),
    Case("POST", SCHEDULE + "/move", _url("sched_event_id", "/schedule/move"),
         staff_only(302),
         data=lambda w: {"meeting": w["sched_m4"], "slot": w["sched_slots"][1], "table": 2}),
    # Into a taken cell: refused, the page again with the message.
    Case("POST", SCHEDULE + "/move", _url("sched_event_id", "/schedule/move"),
         staff_only(200),
         data=lambda w: {"meeting": w["sched_m4"], "slot": w["sched_slots"][0], "table": 1}),
    Case("POST", SCHEDULE + "/unplace", _url("sched_event_id", "/schedule/unplace"),
         staff_only(302), data=lambda w: {"meeting": w["sched_m3"]}),
    Case("POST", SCHEDULE + "/swap", _url("sched_event_id", "/schedule/swap"),
         staff_only(302), data=lambda w: {"first": w["sched_m1"], "second": w["sched_m2"]}),
    Case("POST", SCHEDULE + "/publish", _url("sched_event_id", "/schedule/publish"),
         staff_only(302)),
    Case("POST", SCHEDULE + "/outcome", _url("sched_pub_event_id", "/schedule/outcome"),
         staff_only(302),
         data=lambda w: {"meeting": w["sched_m5"], "outcome": "held", "note": "Ký MOU"}),
    # Own agenda for each registered organisation; staff get the chooser.
    Case("GET", "/events/<int:event_id>/agenda", _url("sched_event_id", "/agenda"),
         _agenda(200, 200, 200)),
    # A's agenda asked for by B's member: refused.
    Case("GET", "/events/<int:event_id>/agenda",
         _with_reg("sched_event_id", "sched_reg_a_id", "/agenda"), _agenda(200, 403, 200)),
    # B is not registered there: 403, as a page that says so (tests/test_schedule_workflow.py).
    Case("GET", "/events/<int:event_id>/agenda", _url("sched_pub_event_id", "/agenda"),
         _agenda(200, 403, 200)),
    Case("GET", "/events/<int:event_id>/agenda",
         _with_reg("sched_pub_event_id", "sched_pub_reg_a_id", "/agenda"),
         _agenda(200, 403, 200)),
    Case("GET", "/events/<int:event_id>/agenda.ics",
         _with_reg("sched_pub_event_id", "sched_pub_reg_a_id", "/agenda.ics"),
         _agenda(200, 403, 200)),
    Case("GET", "/events/<int:event_id>/agenda.ics", _url("sched_pub_event_id", "/agenda.ics"),
         _agenda(200, 403, 404)),
    # Provisional: participants get nothing yet; staff may preview a participant's.
    Case("GET", "/events/<int:event_id>/agenda.ics", _url("sched_event_id", "/agenda.ics"),
         _agenda(404, 404, 404)),
    Case("GET", "/events/<int:event_id>/agenda.ics",
         _with_reg("sched_event_id", "sched_reg_b_id", "/agenda.ics"),
         _agenda(403, 404, 200)),
]
