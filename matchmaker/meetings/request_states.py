"""Whether a participant may still ask a counterpart for a meeting, and if not, why.

Every page that offers "Request a meeting" (an event's suggestions, its participant list, a
product page) shows instead the state of the pair when a request would be refused (see
:func:`matchmaker.meetings.requests.request_meeting` for the rules): a meeting between
them is already requested, accepted, scheduled or held; the viewer's or the counterpart's
cap is reached; requests are closed.

:func:`load_facts` reads what that needs for one or more events in **one** statement (or
joined onto the event's own row with :func:`event_with_facts`, so a page pays nothing
extra); :func:`request_state` is pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from matchmaker.events.models import Event, Registration
from matchmaker.extensions import db
from matchmaker.meetings.models import Meeting, MeetingStatus
from matchmaker.meetings.requests import OPEN_VALUES

M = MeetingStatus

# RequestState codes.
CAN_REQUEST = "can_request"
REQUESTED_BY_US = "requested_by_us"
REQUESTED_BY_THEM = "requested_by_them"
ACCEPTED = "accepted"
SCHEDULED = "scheduled"
HELD = "held"
NO_SHOW = "no_show"
CAP_SELF = "cap_self"
CAP_OTHER = "cap_other"
CLOSED = "closed"
CODES = (CAN_REQUEST, REQUESTED_BY_US, REQUESTED_BY_THEM, ACCEPTED, SCHEDULED, HELD, NO_SHOW,
         CAP_SELF, CAP_OTHER, CLOSED)


@dataclass(frozen=True)
class MeetingInfo:
    """One meeting between the viewer and a counterpart: ``id``, ``status`` (a
    :class:`~matchmaker.meetings.models.MeetingStatus` value) and ``requested_by_side``
    (``producer`` / ``distributor``)."""

    id: int
    status: str
    requested_by_side: str


@dataclass
class EventFacts:
    """What decides the request states at one event, from the viewer's side.

    ``my_open``: the viewer's open meetings (they count against its cap); ``their_open``:
    ``{counterpart registration id: open meetings}`` (missing ids have none);
    ``with_me``: ``{counterpart registration id: the open meeting with the viewer, else the
    latest one}``.
    """

    my_open: int = 0
    their_open: dict[int, int] = field(default_factory=dict)
    with_me: dict[int, MeetingInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestState:
    """What to show for one counterpart: ``code`` (one of :data:`CODES`; only
    ``can_request`` shows the button), the ``meeting`` concerned (or ``None``) and the
    event's ``cap`` (for "cap reached" texts)."""

    code: str
    meeting: MeetingInfo | None = None
    cap: int | None = None

    @property
    def can_request(self) -> bool:
        return self.code == CAN_REQUEST


def request_state(facts: EventFacts | None, counterpart_id: int, *, my_side: str,
                  cap: int | None, requests_open: bool, schedule_published: bool
                  ) -> RequestState:
    """The state for asking registration ``counterpart_id`` for a meeting, in the order
    the request rules check it: an open meeting between the two first (whoever asked; a
    meeting "scheduled" in a provisional schedule reads as accepted, as on "My
    meetings"), then closed requests, then the viewer's cap, then the counterpart's."""
    facts = facts or EventFacts()
    meeting = facts.with_me.get(counterpart_id)
    if meeting is not None and meeting.status in OPEN_VALUES:
        if meeting.status == M.REQUESTED:
            code = REQUESTED_BY_US if meeting.requested_by_side == my_side \
                else REQUESTED_BY_THEM
        elif meeting.status == M.SCHEDULED:
            code = SCHEDULED if schedule_published else ACCEPTED
        else:
            code = {M.ACCEPTED: ACCEPTED, M.HELD: HELD, M.NO_SHOW: NO_SHOW}[meeting.status]
        return RequestState(code, meeting, cap)
    if not requests_open:
        return RequestState(CLOSED, meeting, cap)
    if cap is not None and facts.my_open >= cap:
        return RequestState(CAP_SELF, meeting, cap)
    if cap is not None and facts.their_open.get(counterpart_id, 0) >= cap:
        return RequestState(CAP_OTHER, meeting, cap)
    return RequestState(CAN_REQUEST, meeting, cap)


def facts_from_page(with_me: dict[int, Meeting], open_counts: dict[int, int]) -> EventFacts:
    """:class:`EventFacts` from what the participant list loads anyway
    (:func:`matchmaker.meetings.requests.meetings_with` and the page's open counts): no
    statement."""
    return EventFacts(
        my_open=sum(1 for m in with_me.values() if m.status in OPEN_VALUES),
        their_open=dict(open_counts),
        with_me={rid: MeetingInfo(m.id, m.status, m.requested_by_side)
                 for rid, m in with_me.items()})


def _facts_rows(event_ids: list[int], organisation_id: int, counterpart_ids: list[int]):
    """A subquery of rows ``(kind, event_id, rid, status, side, n, mid)``:

    * ``with``: each meeting between the organisation's registration and a counterpart
      (``rid``; ``status``, ``side`` = requested by, ``mid`` = meeting id);
    * ``mine``: the organisation's open meetings per event (``n``);
    * ``theirs``: each counterpart's open meetings (``rid``, ``n``).
    """
    mine = sa.select(Registration.id).where(Registration.event_id.in_(event_ids),
                                            Registration.organisation_id == organisation_id)
    at_events = Meeting.event_id.in_(event_ids)
    is_open = Meeting.status.in_(OPEN_VALUES)
    producer, distributor = Meeting.producer_registration_id, Meeting.distributor_registration_id
    no_int = sa.cast(sa.null(), sa.Integer)
    no_text = sa.cast(sa.null(), sa.String)
    with_me = sa.select(
        sa.literal_column("'with'", sa.String).label("kind"), Meeting.event_id.label("event_id"),
        sa.case((producer.in_(mine), distributor), else_=producer).label("rid"),
        Meeting.status.label("status"), Meeting.requested_by_side.label("side"),
        no_int.label("n"), Meeting.id.label("mid"),
    ).where(at_events, sa.or_(sa.and_(producer.in_(mine), distributor.in_(counterpart_ids)),
                              sa.and_(distributor.in_(mine), producer.in_(counterpart_ids))))
    my_count = sa.select(
        sa.literal_column("'mine'", sa.String), Meeting.event_id, no_int, no_text, no_text,
        sa.func.count(Meeting.id), no_int,
    ).where(at_events, is_open, sa.or_(producer.in_(mine), distributor.in_(mine))
            ).group_by(Meeting.event_id)
    sides = sa.union_all(
        sa.select(Meeting.event_id.label("event_id"), producer.label("rid"))
        .where(at_events, is_open, producer.in_(counterpart_ids)),
        sa.select(Meeting.event_id.label("event_id"), distributor.label("rid"))
        .where(at_events, is_open, distributor.in_(counterpart_ids))).subquery()
    their_counts = sa.select(
        sa.literal_column("'theirs'", sa.String), sides.c.event_id, sides.c.rid, no_text, no_text,
        sa.func.count(), no_int,
    ).group_by(sides.c.event_id, sides.c.rid)
    return sa.union_all(with_me, my_count, their_counts).subquery("request_facts")


def _collect(found: dict[int, EventFacts], row) -> None:
    kind, event_id = row.kind, row.event_id
    if kind is None:
        return  # the event row without any fact (outer join)
    facts = found.setdefault(event_id, EventFacts())
    if kind == "mine":
        facts.my_open = row.n
    elif kind == "theirs":
        facts.their_open[row.rid] = row.n
    else:
        info = MeetingInfo(row.mid, row.status, row.side)
        current = facts.with_me.get(row.rid)
        # The open meeting when there is one, else the latest (highest id).
        if (current is None or (current.status not in OPEN_VALUES
                                and (info.status in OPEN_VALUES or info.id > current.id))):
            facts.with_me[row.rid] = info


def event_with_facts(event_id: int, organisation_id: int, counterpart_ids: Iterable[int]
                     ) -> tuple[Event | None, EventFacts]:
    """The event (``None`` when it does not exist) and the organisation's
    :class:`EventFacts` there towards the registrations ``counterpart_ids``, in one
    statement."""
    ids = sorted(set(counterpart_ids))
    facts = _facts_rows([event_id], organisation_id, ids)
    rows = db.session.execute(
        sa.select(Event, facts.c.kind, facts.c.event_id, facts.c.rid, facts.c.status,
                  facts.c.side, facts.c.n, facts.c.mid)
        .outerjoin(facts, sa.true()).where(Event.id == event_id)).all()
    if not rows:
        return None, EventFacts()
    found: dict[int, EventFacts] = {}
    for row in rows:
        _collect(found, row)
    return rows[0][0], found.get(event_id, EventFacts())


@dataclass(frozen=True)
class Target:
    """A "request a meeting" offer on a product page: the event, the producer's
    registration there, and the :class:`RequestState`."""

    event_id: int
    event_title: str
    registration_id: int
    state: RequestState


def target_states(organisation_id: int | None,
                  targets: Iterable[tuple[int, str, int]]) -> list[Target]:
    """For a distributor viewing a producer's product: each ``(event id, event title, the
    producer's registration id)`` of
    :func:`matchmaker.meetings.requests.request_targets` with its state. One statement (none
    for no targets). The targets are events still taking requests at which the viewer is
    an approved distributor."""
    targets = list(targets)
    if not targets or organisation_id is None:
        return []
    event_ids = sorted({event_id for event_id, _t, _r in targets})
    facts = _facts_rows(event_ids, organisation_id, sorted({r for _e, _t, r in targets}))
    rows = db.session.execute(
        sa.select(Event.id.label("the_event"), Event.meeting_cap, Event.schedule_status,
                  facts.c.kind, facts.c.event_id, facts.c.rid, facts.c.status, facts.c.side,
                  facts.c.n, facts.c.mid)
        .outerjoin(facts, facts.c.event_id == Event.id)
        .where(Event.id.in_(event_ids))).all()
    found: dict[int, EventFacts] = {}
    events: dict[int, tuple[int | None, str]] = {}
    for row in rows:
        events[row.the_event] = (row.meeting_cap, row.schedule_status)
        _collect(found, row)
    result = []
    for event_id, title, registration_id in targets:
        cap, schedule_status = events.get(event_id, (None, None))
        state = request_state(found.get(event_id), registration_id, my_side="distributor",
                              cap=cap, requests_open=True,
                              schedule_published=schedule_status == "published")
        result.append(Target(event_id, title, registration_id, state))
    return result


def facts_for(event_id: int, organisation_id: int, counterpart_ids: Iterable[int]
              ) -> EventFacts:
    """The organisation's :class:`EventFacts` at one event towards ``counterpart_ids``
    (one statement)."""
    facts = _facts_rows([event_id], organisation_id, sorted(set(counterpart_ids)))
    found: dict[int, EventFacts] = {}
    for row in db.session.execute(sa.select(facts)):
        _collect(found, row)
    return found.get(event_id, EventFacts())
