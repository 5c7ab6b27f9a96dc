"""Access-matrix rows for event pages, and builders of events other tests import.

World: ``event`` is a published event with registration open now (sessions and an OCOP
category); ``draft_event`` is a draft. Drafts are staff-only (others get 404); editing and
status changes are staff-only (members get 403).

Other tests use :func:`make_event`; import ``tests.access`` first (it loads every
``access_*`` module, this one included, in order)::

    import tests.access  # noqa: F401
    from tests.access_events import make_event
"""

from datetime import timedelta

import sqlalchemy as sa

from matchmaker.catalogue.models import Category
from matchmaker.events.models import Event, EventSession, EventStatus
from matchmaker.extensions import db
from matchmaker.timeutil import utcnow
from tests.access import LOGIN_REDIRECT, Case, everyone, staff_only

# VN wall time = UTC + 7: sessions 08:30–11:30 and 13:30–17:00 on the first day.
_SESSIONS = ((timedelta(hours=1, minutes=30), timedelta(hours=4, minutes=30)),
             (timedelta(hours=6, minutes=30), timedelta(hours=10)))


def _category(scheme: str, code: str) -> Category:
    return db.session.scalar(
        sa.select(Category).where(Category.scheme == scheme, Category.code == code))


def make_event(title: str = "Hội nghị kết nối cung cầu OCOP Nghệ An",
               status: str = EventStatus.PUBLISHED, producer_capacity: int = 50,
               distributor_capacity: int = 30, requires_approval: bool = True,
               starts_in: timedelta = timedelta(days=30), days: int = 2,
               registration_open: bool = True, categories=("I.4.a", "I.2"),
               sessions: bool = True, created_by=None, commit: bool = True,
               **values) -> Event:
    """A committed event (published by default) with registration open now.

    The event starts ``starts_in`` from now at 00:00 UTC (07:00 in Vietnam) and lasts
    ``days`` days; registration opened a day ago and closes a day before the start. With
    ``registration_open=False`` it closed two days ago, or a day before a past event's
    start: a negative ``starts_in`` makes a past event (pass ``registration_open=False``).
    ``status`` is any :class:`EventStatus`; every status but ``draft`` gets
    ``published_at`` (a cancelled one also a ``cancel_reason``). ``categories`` are OCOP
    codes; ``sessions`` adds two sessions on the first day (08:30–11:30, 13:30–17:00 VN).
    ``values`` override any other column (``table_count``, ``meeting_minutes``, …). With
    ``commit=False`` it is only flushed. No status history is written (tests of history
    go through :mod:`matchmaker.events.services`).
    """
    now = utcnow()
    start = (now + starts_in).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=days - 1, hours=11)
    if registration_open:
        opens, closes = now - timedelta(days=1), start - timedelta(days=1)
    else:
        closes = min(now - timedelta(days=2), start - timedelta(days=1))
        opens = closes - timedelta(days=8)
    status = EventStatus(status)
    fields = dict(
        title=title, description="Kết nối nhà sản xuất OCOP với siêu thị và nhà phân phối.",
        venue="Trung tâm Hội nghị tỉnh, Vinh", province_code=40,
        starts_at=start, ends_at=end, registration_opens_at=opens,
        registration_closes_at=closes, producer_capacity=producer_capacity,
        distributor_capacity=distributor_capacity, requires_approval=requires_approval,
        meeting_minutes=20, break_minutes=5, table_count=20, status=status.value,
        published_at=None if status == EventStatus.DRAFT else now - timedelta(days=1),
        cancel_reason="Bão lớn đổ bộ." if status == EventStatus.CANCELLED else None,
        created_by_id=None if created_by is None else sa.inspect(created_by).identity[0],
    )
    fields.update(values)
    event = Event(**fields)
    event.categories = [_category("ocop", code) for code in categories]
    if sessions:
        event.sessions = [EventSession(starts_at=start + a, ends_at=start + b)
                          for a, b in _SESSIONS]
    db.session.add(event)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return event


def setup(world: dict) -> None:
    world["event"] = make_event()
    world["draft_event"] = make_event("Hội chợ nông sản Hà Tĩnh (nháp)",
                                      status=EventStatus.DRAFT)
    world["event_id"] = sa.inspect(world["event"]).identity[0]
    world["draft_event_id"] = sa.inspect(world["draft_event"]).identity[0]


def _url(key: str, suffix: str = ""):
    return lambda w: f"/events/{w[key]}{suffix}"


DRAFT = {"anon": 404, "member_a": 404, "member_b": 404, "organiser": 200, "admin": 200}
STATUS_RULE = ("/events/<int:event_id>/<any('publish', 'close-registration', "
               "'reopen-registration', 'finish', 'cancel'):action>")
# A cancel without a reason shows the event page again with the message next to the reason
# box (staff): nothing changes, so the same world serves every role.
_CANCEL_NO_REASON = {"reason": ""}

CASES = [
    Case("GET", "/events/", "/events/", everyone(200)),
    Case("GET", "/events/", "/events/?when=past", everyone(200)),
    Case("GET", "/events/<int:event_id>", _url("event_id"), everyone(200)),
    Case("GET", "/events/<int:event_id>", _url("draft_event_id"), DRAFT),
    Case("GET", "/events/new", "/events/new", staff_only()),
    Case("POST", "/events/new", "/events/new", staff_only(), data={"title": ""}),
    Case("GET", "/events/<int:event_id>/edit", _url("event_id", "/edit"), staff_only()),
    Case("GET", "/events/<int:event_id>/edit", _url("draft_event_id", "/edit"), staff_only()),
    Case("POST", "/events/<int:event_id>/edit", _url("event_id", "/edit"), staff_only(),
         data={"title": ""}),
    Case("POST", STATUS_RULE, _url("event_id", "/cancel"), staff_only(200),
         data=_CANCEL_NO_REASON),
    Case("POST", STATUS_RULE, _url("draft_event_id", "/finish"), staff_only(302)),
]

__all__ = ["DRAFT", "LOGIN_REDIRECT", "CASES", "make_event", "setup"]
