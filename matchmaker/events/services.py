"""Events: creating, editing, status changes and the queries behind the event pages.

Functions take plain values, flush and never commit: the request commits once. The form
(:mod:`matchmaker.events.forms_events`) runs :func:`event_problems` itself so that every
mistake is shown next to its field; :func:`create_event` and :func:`update_event` run it
again as the backstop for other callers (CLI, demo, tests), and the schema's CHECK
constraints are the last word.

Times are aware UTC here; pages convert from and to Asia/Ho_Chi_Minh.

Status (:class:`~matchmaker.events.models.EventStatus`)::

    draft → published → registration_closed → finished
              ↑_____reopen_____|
    draft | published | registration_closed → cancelled (with a reason)

Every change is recorded with :func:`matchmaker.history.change_status` (who and when).
Who may see and change events: :mod:`matchmaker.events.rules`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from matchmaker.catalogue.models import Category
from matchmaker.events import registration as reg
from matchmaker.events.models import (
    HOLDS_PLACE,
    Event,
    EventSession,
    EventStatus,
    Registration,
    RegistrationSide,
    RegistrationStatus,
)
from matchmaker.extensions import db
from matchmaker.history import StatusChange, Subject, change_status
from matchmaker.organisations.divisions import is_province
from matchmaker.text import normalise
from matchmaker.timeutil import utcnow

MAX_SESSIONS = 6
MEETING_MINUTES = (5, 240)
BREAK_MINUTES = (0, 120)
MAX_TABLES = 1000
MAX_CAPACITY = 100_000
EVENTS_PER_PAGE = 20

S = EventStatus
# A finished or cancelled event is a record of what happened (or was called off): its
# registrations cannot change any more either (see matchmaker.events.registration).
CLOSED_FOR_EDITS = frozenset({S.FINISHED, S.CANCELLED})

#: action in the URL -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], EventStatus]] = {
    "publish": (frozenset({S.DRAFT}), S.PUBLISHED),
    "close-registration": (frozenset({S.PUBLISHED}), S.REGISTRATION_CLOSED),
    "reopen-registration": (frozenset({S.REGISTRATION_CLOSED}), S.PUBLISHED),
    "finish": (frozenset({S.PUBLISHED, S.REGISTRATION_CLOSED}), S.FINISHED),
    "cancel": (frozenset({S.DRAFT, S.PUBLISHED, S.REGISTRATION_CLOSED}), S.CANCELLED),
}


class EventError(ValueError):
    """An event change refused. ``code`` is one of:

    ``title`` (empty), ``province`` (not a current province), ``ends_before_start``,
    ``registration_order`` (opens at or after it closes), ``registration_after_end``
    (closes after the event ends), ``capacity`` (a side's places not 1 to 100 000),
    ``tables`` (not 1 to 1 000), ``meeting_minutes`` (not 5 to 240), ``break_minutes``
    (not 0 to 120), ``category`` (not an OCOP category), ``no_sessions``,
    ``too_many_sessions`` (over :data:`MAX_SESSIONS`), ``session_order`` (a session ends at
    or before its start), ``session_outside`` (not within the event), ``session_overlap``,
    ``session_short`` (shorter than one meeting), ``capacity_below_taken`` (lower than the
    places already taken), ``transition`` (not allowed from the current status), ``reason``
    (a cancellation needs one), ``window_over`` (registration cannot reopen: its closing time
    has passed), ``event_over`` (a finished or cancelled event cannot be edited).

    ``details`` carries what the message needs: ``index`` (0-based session position, for
    session codes), ``side`` and ``taken`` (for ``capacity``/``capacity_below_taken``).
    """

    def __init__(self, code: str, **details) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass
class EventFields:
    """An event as entered, times aware UTC. ``sessions`` are ``(start, end)`` pairs in any
    order; ``category_ids`` are OCOP category ids."""

    title: str
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime
    producer_capacity: int
    distributor_capacity: int
    table_count: int
    meeting_minutes: int = 20
    break_minutes: int = 5
    requires_approval: bool = True
    description: str | None = None
    venue: str | None = None
    province_code: int | None = None
    category_ids: list[int] = field(default_factory=list)
    sessions: list[tuple[datetime, datetime]] = field(default_factory=list)


# --- checks ----------------------------------------------------------------------------

def _session_problems(fields: EventFields) -> list[EventError]:
    problems: list[EventError] = []
    if not fields.sessions:
        return [EventError("no_sessions")]
    if len(fields.sessions) > MAX_SESSIONS:
        return [EventError("too_many_sessions")]
    meeting = timedelta(minutes=fields.meeting_minutes or 0)
    good: list[tuple[datetime, datetime, int]] = []
    for index, (start, end) in enumerate(fields.sessions):
        if end <= start:
            problems.append(EventError("session_order", index=index))
        elif start < fields.starts_at or end > fields.ends_at:
            problems.append(EventError("session_outside", index=index))
        elif meeting and end - start < meeting:
            problems.append(EventError("session_short", index=index))
        else:
            good.append((start, end, index))
    good.sort()
    for (_s1, end1, _i1), (start2, _e2, index2) in zip(good, good[1:], strict=False):
        if start2 < end1:
            problems.append(EventError("session_overlap", index=index2))
    return problems


def event_problems(fields: EventFields) -> list[EventError]:
    """Every reason to refuse ``fields`` (empty when they are fine), in form order.

    No database access: category ids are checked when they are stored.
    """
    problems: list[EventError] = []
    if not normalise(fields.title or ""):
        problems.append(EventError("title"))
    if fields.province_code is not None and not is_province(fields.province_code):
        problems.append(EventError("province"))
    times_ok = fields.ends_at > fields.starts_at
    if not times_ok:
        problems.append(EventError("ends_before_start"))
    if fields.registration_opens_at >= fields.registration_closes_at:
        problems.append(EventError("registration_order"))
    elif fields.registration_closes_at > fields.ends_at:
        problems.append(EventError("registration_after_end"))
    for side, value in ((RegistrationSide.PRODUCER, fields.producer_capacity),
                        (RegistrationSide.DISTRIBUTOR, fields.distributor_capacity)):
        if not 0 < value <= MAX_CAPACITY:
            problems.append(EventError("capacity", side=side.value))
    if not 0 < fields.table_count <= MAX_TABLES:
        problems.append(EventError("tables"))
    meeting_ok = MEETING_MINUTES[0] <= fields.meeting_minutes <= MEETING_MINUTES[1]
    if not meeting_ok:
        problems.append(EventError("meeting_minutes"))
    if not BREAK_MINUTES[0] <= fields.break_minutes <= BREAK_MINUTES[1]:
        problems.append(EventError("break_minutes"))
    if times_ok and meeting_ok:
        problems.extend(_session_problems(fields))
    elif not fields.sessions:
        problems.append(EventError("no_sessions"))
    return problems


def _check(fields: EventFields) -> None:
    problems = event_problems(fields)
    if problems:
        raise problems[0]


def _categories(ids: Iterable[int]) -> list[Category]:
    wanted = set(ids)
    if not wanted:
        return []
    found = list(db.session.scalars(
        sa.select(Category).where(Category.id.in_(wanted), Category.scheme == "ocop")))
    if len(found) != len(wanted):
        raise EventError("category")
    return found


def _apply(event: Event, fields: EventFields) -> None:
    event.title = fields.title
    event.description = normalise(fields.description or "") or None
    event.venue = normalise(fields.venue or "") or None
    event.province_code = fields.province_code
    event.starts_at = fields.starts_at
    event.ends_at = fields.ends_at
    event.registration_opens_at = fields.registration_opens_at
    event.registration_closes_at = fields.registration_closes_at
    event.producer_capacity = fields.producer_capacity
    event.distributor_capacity = fields.distributor_capacity
    event.requires_approval = fields.requires_approval
    event.meeting_minutes = fields.meeting_minutes
    event.break_minutes = fields.break_minutes
    event.table_count = fields.table_count
    event.categories = _categories(fields.category_ids)
    event.sessions = [EventSession(starts_at=start, ends_at=end)
                      for start, end in sorted(fields.sessions)]


# --- changes ---------------------------------------------------------------------------

def create_event(fields: EventFields, by_user_id: int | None) -> Event:
    """A new draft event; its creation is the first line of its status history.

    Raises :class:`EventError` (any code of :func:`event_problems`, or ``category``).
    """
    _check(fields)
    event = Event(created_by_id=by_user_id, status=None)
    with db.session.no_autoflush:
        _apply(event, fields)
    db.session.add(event)
    change_status(event, Subject.EVENT, S.DRAFT, by_user_id)
    return event


def update_event(event: Event, fields: EventFields,
                 by_user_id: int | None) -> list[Registration]:
    """Change an event. Locks it first (registrations wait), so capacities are compared
    with the places taken at this moment. A raised capacity promotes waitlisted
    registrations, which are returned.

    Raises :class:`EventError`: any code of :func:`event_problems`, ``category``,
    ``capacity_below_taken`` (``side``, ``taken``) when a capacity would be lower than the
    registrations already holding a place on that side (nobody is bumped), or
    ``event_over`` when the event has finished or was cancelled (its record stays as it was).
    """
    _check(fields)
    event = reg.lock_event(event.id)
    if event.status in CLOSED_FOR_EDITS:
        raise EventError("event_over")
    raised = False
    for side, new in ((RegistrationSide.PRODUCER, fields.producer_capacity),
                      (RegistrationSide.DISTRIBUTOR, fields.distributor_capacity)):
        old = event.capacity(side)
        if new < old:
            taken = reg.places_taken(event.id, side)
            if new < taken:
                raise EventError("capacity_below_taken", side=side.value, taken=taken)
        raised = raised or new > old
    # The old sessions must be deleted before the new rows are inserted; no_autoflush
    # keeps half-assigned values from being written early.
    with db.session.no_autoflush:
        _apply(event, fields)
    db.session.flush()
    if raised:
        return reg.fill_free_places(event)
    return []


def change_event_status(event: Event, action: str, by_user_id: int | None,
                        reason: str | None = None) -> StatusChange:
    """Apply ``action`` (a key of :data:`TRANSITIONS`) to the event, with the event locked.

    Publishing sets ``published_at`` the first time. Cancelling needs ``reason`` (stored as
    ``cancel_reason`` and in the history) and notifies the registered organisations.
    Reopening registration needs a closing time still ahead (else nobody could register
    although the event says registration is open: edit the times first).
    Raises :class:`EventError` (``transition``, ``reason``, ``window_over``).
    """
    if action not in TRANSITIONS:
        raise EventError("transition")
    sources, target = TRANSITIONS[action]
    reason = normalise(reason or "") or None
    if target == S.CANCELLED and not reason:
        raise EventError("reason")
    event = reg.lock_event(event.id)
    if event.status not in sources:
        raise EventError("transition")
    if action == "reopen-registration" and event.registration_closes_at <= utcnow():
        raise EventError("window_over")
    if target == S.PUBLISHED and event.published_at is None:
        event.published_at = utcnow()
    note = None
    if target == S.CANCELLED:
        event.cancel_reason = note = reason
    change = change_status(event, Subject.EVENT, target, by_user_id, note)
    if target == S.CANCELLED:
        from matchmaker.notifications.services import event_cancelled

        event_cancelled(event)
    return change


def allowed_actions(event: Event) -> list[str]:
    """The status actions possible from the event's current status, in display order."""
    return [action for action, (sources, _to) in TRANSITIONS.items()
            if event.status in sources]


# --- queries ---------------------------------------------------------------------------

def load_event(event_id: int) -> Event | None:
    """The event with its sessions and categories (one statement), or None."""
    return db.session.execute(
        sa.select(Event).options(joinedload(Event.sessions), joinedload(Event.categories))
        .where(Event.id == event_id)).unique().scalar_one_or_none()


def events_query(staff: bool, past: bool, now: datetime | None = None) -> sa.Select:
    """Events for the public list: upcoming (not yet ended, soonest first) or past (ended,
    latest first). Non-staff see only events published once; staff see drafts too."""
    now = now or utcnow()
    stmt = sa.select(Event)
    if not staff:
        stmt = stmt.where(Event.published_at.is_not(None))
    if past:
        return stmt.where(Event.ends_at < now).order_by(Event.starts_at.desc(),
                                                        Event.id.desc())
    return stmt.where(Event.ends_at >= now).order_by(Event.starts_at, Event.id)


def places_taken_by_event(event_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """``{event_id: {side: places taken}}`` for several events, one statement."""
    taken: dict[int, dict[str, int]] = {
        eid: {side.value: 0 for side in RegistrationSide} for eid in event_ids}
    if not event_ids:
        return taken
    rows = db.session.execute(
        sa.select(Registration.event_id, Registration.side, sa.func.count(Registration.id))
        .where(Registration.event_id.in_(list(event_ids)),
               Registration.status.in_([s.value for s in HOLDS_PLACE]))
        .group_by(Registration.event_id, Registration.side))
    for event_id, side, n in rows:
        taken[event_id][side] = n
    return taken


@dataclass(frozen=True)
class SidePlaces:
    """One side's places at an event: ``taken`` (pending, approved, checked in) of
    ``capacity``, and ``waitlisted``."""

    capacity: int
    taken: int
    waitlisted: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.taken)


def side_places(event: Event, counts: dict[str, dict[str, int]]) -> dict[str, SidePlaces]:
    """``{side: SidePlaces}`` from :func:`registration.places_by_side`'s counts."""
    result = {}
    for side in RegistrationSide:
        by_status = counts.get(side.value, {})
        result[side.value] = SidePlaces(
            capacity=event.capacity(side),
            taken=sum(n for status, n in by_status.items() if status in HOLDS_PLACE),
            waitlisted=by_status.get(RegistrationStatus.WAITLISTED, 0))
    return result


def organisation_registration(event_id: int, organisation_id: int) -> Registration | None:
    """The organisation's registration for the event (any status), one statement."""
    return db.session.scalar(sa.select(Registration).where(
        Registration.event_id == event_id, Registration.organisation_id == organisation_id))
