"""Meeting requests at an event: request, accept, decline, cancel; caps; unavailability.

Every change first locks the event with :func:`matchmaker.events.registration.lock_event`
(``SELECT … FOR UPDATE`` on PostgreSQL, the ``BEGIN IMMEDIATE`` write lock of a POST on
SQLite), then re-reads what it checks. So two people acting at once are serialised: a
participant's cap can never be exceeded, a meeting is never accepted twice, and a second
open meeting between the same two registrations is refused (the partial unique index
``uq_meetings_open_pair`` backs that rule in the database too). Functions flush, never
commit; refusals raise :class:`MeetingError`.

Rules (decided for issue 5):

* Only organisations whose registration is **approved or checked in** take part; a meeting
  joins one producer registration and one distributor registration of the same event. The
  requester's side is its registration's side.
* New requests are taken while the event is published or its registration closed, **until
  the event starts**. Accepting, declining and cancelling go on until the event ends (an
  organiser may still place a late meeting by hand).
* ``event.meeting_cap`` (``None`` = no cap) limits the *open* meetings of each participant
  (requested, accepted, scheduled, held, no-show; see :data:`OPEN_MEETING`). A request
  counts for both parties at once, so a popular participant's cap fills with pending
  requests; declining one frees a place.
* Only the party that was asked accepts or declines; either party, or staff, cancels.
  After the schedule is published, a newly accepted meeting waits for the organiser to
  place it (the schedule is not changed automatically).
* Every status change goes through :func:`matchmaker.history.change_status` (who, when) and
  tells the other party's members (:mod:`matchmaker.meetings.notify`).
"""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload

from matchmaker.catalogue.models import Product, SourcingNeed
from matchmaker.events.models import (
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    registration_needs,
    registration_products,
)
from matchmaker.events.registration import lock_event
from matchmaker.extensions import db
from matchmaker.history import Subject, change_status
from matchmaker.meetings import notify
from matchmaker.meetings.models import (
    OPEN_MEETING,
    Meeting,
    MeetingStatus,
    SlotUnavailability,
    TimeSlot,
)
from matchmaker.meetings.timeslots import ensure_time_slots, wanted_slot_times
from matchmaker.organisations.models import Organisation
from matchmaker.pagination import Page
from matchmaker.text import fold, normalise, sort_key, strip_invisible
from matchmaker.timeutil import utcnow

M = MeetingStatus
# Registrations that take part in meetings.
ATTENDING = (RegistrationStatus.APPROVED, RegistrationStatus.CHECKED_IN)
ATTENDING_VALUES = tuple(s.value for s in ATTENDING)
OPEN_VALUES = tuple(s.value for s in OPEN_MEETING)
# Event states in which meetings may still change.
LIVE_EVENT = (EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED)
CANCELLABLE = (M.REQUESTED, M.ACCEPTED, M.SCHEDULED)
MESSAGE_MAX = 500
REASON_MAX = 500
CAP_MAX = 200  # SmallInteger column; nobody has 200 meetings in a day


class MeetingError(ValueError):
    """A meeting change refused. ``code`` is one of:

    ``no_event`` (unknown event), ``closed`` (requests are taken only until the event
    starts, while it is published or its registration closed), ``event_over`` (the event
    finished, was cancelled or is over: nothing changes any more), ``not_registered`` (the
    requester's organisation has no approved or checked-in registration at the event),
    ``counterpart`` (the other registration is not approved or checked in at this event),
    ``same_side`` (both on one side, or the organisation asking itself), ``already`` (an
    open meeting between the two exists), ``cap_self`` / ``cap_other`` (the requester's /
    the counterpart's cap is reached; ``name`` says whose), ``message`` (longer than 500
    characters), ``transition`` (not allowed from the current status), ``not_party``
    (the person is not allowed to do this to this meeting), ``cap`` (a cap below 1 or above
    200).
    """

    def __init__(self, code: str, name: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.name = name


def clean_text(value: str | None, limit: int) -> str | None:
    """Trimmed text without invisible characters, or ``None`` when empty. Raises
    :class:`MeetingError` ``message`` when longer than ``limit`` characters."""
    value = strip_invisible(value or "").strip()
    if len(value) > limit:
        raise MeetingError("message")
    return value or None


def requests_open(event: Event, now: datetime | None = None) -> bool:
    """True while new meeting requests are taken at ``event`` (see module docstring)."""
    now = now or utcnow()
    return event.status in LIVE_EVENT and now < event.starts_at


def changes_open(event: Event, now: datetime | None = None) -> bool:
    """True while meetings at ``event`` may be accepted, declined or cancelled."""
    now = now or utcnow()
    return event.status in LIVE_EVENT and now < event.ends_at


def attending_registration(event_id: int, organisation_id: int | None) -> Registration | None:
    """The organisation's approved or checked-in registration at the event, or ``None``.
    One statement."""
    if organisation_id is None:
        return None
    return db.session.scalar(sa.select(Registration).where(
        Registration.event_id == event_id, Registration.organisation_id == organisation_id,
        Registration.status.in_(ATTENDING_VALUES)))


def open_counts(event_id: int, registration_ids: Iterable[int]) -> dict[int, int]:
    """``{registration_id: open meetings}`` at the event for the given registrations
    (missing ids have none). One statement."""
    ids = list(set(registration_ids))
    if not ids:
        return {}
    sides = _open_sides(event_id)
    rows = db.session.execute(sa.select(sides.c.rid, sa.func.count())
                              .where(sides.c.rid.in_(ids)).group_by(sides.c.rid))
    return {rid: count for rid, count in rows}


def _open_sides(event_id: int):
    """Subquery ``rid``: one row per (open meeting, party registration) of the event."""
    where = (Meeting.event_id == event_id, Meeting.status.in_(OPEN_VALUES))
    return sa.union_all(
        sa.select(Meeting.producer_registration_id.label("rid")).where(*where),
        sa.select(Meeting.distributor_registration_id.label("rid")).where(*where)).subquery()


def open_count(registration: Registration) -> int:
    """Open meetings of one registration (one statement)."""
    column = (Meeting.producer_registration_id if registration.side == "producer"
              else Meeting.distributor_registration_id)
    return db.session.scalar(sa.select(sa.func.count(Meeting.id)).where(
        column == registration.id, Meeting.status.in_(OPEN_VALUES))) or 0


def open_meeting_between(producer_id: int, distributor_id: int) -> Meeting | None:
    """The open meeting between two registrations, if any."""
    return db.session.scalar(sa.select(Meeting).where(
        Meeting.producer_registration_id == producer_id,
        Meeting.distributor_registration_id == distributor_id,
        Meeting.status.in_(OPEN_VALUES)))


def _pair(a: Registration, b: Registration) -> tuple[Registration, Registration]:
    return (a, b) if a.side == "producer" else (b, a)


def request_meeting(event_id: int, organisation_id: int, counterpart_registration_id: int,
                    by_user_id: int | None, message: str | None = None) -> Meeting:
    """Ask for a meeting with registration ``counterpart_registration_id`` on behalf of
    organisation ``organisation_id`` (the requester's side is its registration's side).

    Returns the new :class:`Meeting` (status ``requested``), recorded in the history and
    notified to the counterpart's members. Raises :class:`MeetingError` (``no_event``,
    ``closed``, ``not_registered``, ``counterpart``, ``same_side``, ``already``,
    ``cap_self``, ``cap_other``, ``message``).
    """
    message = clean_text(message, MESSAGE_MAX)
    event = lock_event(event_id)
    if event is None:
        raise MeetingError("no_event")
    if not requests_open(event):
        raise MeetingError("closed")
    mine = attending_registration(event_id, organisation_id)
    if mine is None:
        raise MeetingError("not_registered")
    other = db.session.execute(
        sa.select(Registration).options(joinedload(Registration.organisation))
        .where(Registration.id == counterpart_registration_id)
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if other is None or other.event_id != event_id or other.status not in ATTENDING_VALUES:
        raise MeetingError("counterpart")
    if other.side == mine.side:
        raise MeetingError("same_side")
    producer, distributor = _pair(mine, other)
    if open_meeting_between(producer.id, distributor.id) is not None:
        raise MeetingError("already")
    cap = event.meeting_cap
    if cap is not None:
        counts = open_counts(event_id, [mine.id, other.id])
        if counts.get(mine.id, 0) >= cap:
            raise MeetingError("cap_self")
        if counts.get(other.id, 0) >= cap:
            raise MeetingError("cap_other", other.organisation.name)
    meeting = Meeting(event_id=event_id, producer_registration_id=producer.id,
                      distributor_registration_id=distributor.id,
                      requested_by_side=mine.side, requested_by_id=by_user_id,
                      message=message)
    db.session.add(meeting)
    change_status(meeting, Subject.MEETING, M.REQUESTED, by_user_id)
    notify.meeting_changed(meeting, event, "requested", actor_organisation_id=organisation_id,
                           note=message)
    return meeting


def load_meeting(meeting_id: int, lock: bool = False) -> Meeting | None:
    """The meeting with its event, both registrations and their organisations (one
    statement). With ``lock``, the event is locked first and the rows re-read."""
    if lock:
        event_id = db.session.scalar(sa.select(Meeting.event_id).where(Meeting.id == meeting_id))
        if event_id is None:
            return None
        lock_event(event_id)
    return db.session.execute(
        sa.select(Meeting).where(Meeting.id == meeting_id).options(
            joinedload(Meeting.event),
            joinedload(Meeting.producer_registration).joinedload(Registration.organisation),
            joinedload(Meeting.distributor_registration).joinedload(Registration.organisation),
            joinedload(Meeting.time_slot))
        .execution_options(populate_existing=lock)).scalar_one_or_none()


def party_side(meeting: Meeting, organisation_id: int | None) -> str | None:
    """``producer`` / ``distributor`` when ``organisation_id`` is that party of the
    meeting, else ``None``."""
    if organisation_id is None:
        return None
    if meeting.producer_registration.organisation_id == organisation_id:
        return "producer"
    if meeting.distributor_registration.organisation_id == organisation_id:
        return "distributor"
    return None


def may_answer(meeting: Meeting, organisation_id: int | None) -> bool:
    """True when ``organisation_id`` is the party that was asked (it accepts or declines)."""
    side = party_side(meeting, organisation_id)
    return side is not None and side != meeting.requested_by_side


def _locked(meeting_id: int) -> Meeting:
    meeting = load_meeting(meeting_id, lock=True)
    if meeting is None:
        raise MeetingError("not_party")
    if not changes_open(meeting.event):
        raise MeetingError("event_over")
    return meeting


def accept(meeting_id: int, organisation_id: int | None, by_user_id: int | None) -> bool:
    """The asked party accepts. Returns ``False`` when the meeting was already accepted (a
    second click or a colleague faster: nothing changes). Raises :class:`MeetingError`
    ``not_party`` (not the asked party), ``transition``, ``event_over``, ``counterpart``
    (a registration is no longer approved)."""
    meeting = _locked(meeting_id)
    if not may_answer(meeting, organisation_id):
        raise MeetingError("not_party")
    if meeting.status in (M.ACCEPTED, M.SCHEDULED):
        return False
    if meeting.status != M.REQUESTED:
        raise MeetingError("transition")
    if (meeting.producer_registration.status not in ATTENDING_VALUES
            or meeting.distributor_registration.status not in ATTENDING_VALUES):
        raise MeetingError("counterpart")
    change_status(meeting, Subject.MEETING, M.ACCEPTED, by_user_id)
    notify.meeting_changed(meeting, meeting.event, "accepted",
                           actor_organisation_id=organisation_id)
    return True


def decline(meeting_id: int, organisation_id: int | None, by_user_id: int | None,
            reason: str | None = None) -> Meeting:
    """The asked party declines a request, with an optional reason (≤ 500 characters) the
    requester sees. Raises :class:`MeetingError` ``not_party``, ``transition``,
    ``event_over``, ``message``."""
    reason = clean_text(reason, REASON_MAX)
    meeting = _locked(meeting_id)
    if not may_answer(meeting, organisation_id):
        raise MeetingError("not_party")
    if meeting.status != M.REQUESTED:
        raise MeetingError("transition")
    meeting.status_note = reason
    change_status(meeting, Subject.MEETING, M.DECLINED, by_user_id, reason)
    notify.meeting_changed(meeting, meeting.event, "declined",
                           actor_organisation_id=organisation_id, note=reason)
    return meeting


def cancel(meeting_id: int, organisation_id: int | None, by_user_id: int | None,
           staff: bool = False, reason: str | None = None) -> Meeting:
    """Either party (``organisation_id``) or staff (``staff=True``) cancels a requested,
    accepted or scheduled meeting; a scheduled one leaves its slot and table. Raises
    :class:`MeetingError` ``not_party``, ``transition``, ``event_over``, ``message``."""
    reason = clean_text(reason, REASON_MAX)
    meeting = _locked(meeting_id)
    side = party_side(meeting, organisation_id)
    if side is None and not staff:
        raise MeetingError("not_party")
    if meeting.status not in CANCELLABLE:
        raise MeetingError("transition")
    meeting.time_slot_id = None
    meeting.table_number = None
    meeting.status_note = reason
    change_status(meeting, Subject.MEETING, M.CANCELLED, by_user_id, reason)
    notify.meeting_changed(meeting, meeting.event, "cancelled",
                           actor_organisation_id=organisation_id if side else None,
                           note=reason)
    return meeting


def withdraw_meetings(registration: Registration, by_user_id: int | None) -> list[Meeting]:
    """Cancel the requested, accepted and scheduled meetings of a registration that has just
    been cancelled or rejected (held and no-show ones are history and stay). Call with the
    event locked (:func:`matchmaker.events.registration.cancel` / ``reject`` do). The other
    party is told. Returns the meetings cancelled."""
    side = (Meeting.producer_registration_id if registration.side == "producer"
            else Meeting.distributor_registration_id)
    meetings = list(db.session.scalars(
        sa.select(Meeting).where(side == registration.id,
                                 Meeting.status.in_([s.value for s in CANCELLABLE]))
        .order_by(Meeting.id)))
    for meeting in meetings:
        meeting.time_slot_id = None
        meeting.table_number = None
        change_status(meeting, Subject.MEETING, M.CANCELLED, by_user_id, None)
        notify.meeting_changed(meeting, meeting.event, "cancelled",
                               actor_organisation_id=registration.organisation_id)
    return meetings


def set_cap(event_id: int, cap: int | None) -> tuple[Event, int]:
    """Set the event's meeting cap (``None`` = no cap). Returns the event and how many
    participants already have more open meetings than the new cap (their meetings stay;
    they cannot ask or be asked for more). Raises :class:`MeetingError` ``no_event``,
    ``cap``."""
    if cap is not None and not 1 <= cap <= CAP_MAX:
        raise MeetingError("cap")
    event = lock_event(event_id)
    if event is None:
        raise MeetingError("no_event")
    event.meeting_cap = cap
    db.session.flush()
    if cap is None:
        return event, 0
    sides = _open_sides(event_id)
    over = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(sides.c.rid).group_by(sides.c.rid).having(sa.func.count() > cap)
        .subquery())) or 0
    return event, over


# -- unavailability ------------------------------------------------------------------------

def slot_key(starts_at: datetime) -> str:
    """A time slot's stable form value: its UTC start as whole seconds since the epoch
    (positions and ids may change when the organiser edits the sessions; times do not)."""
    return str(int(starts_at.timestamp()))


def unavailable_slot_ids(registration_id: int) -> set[int]:
    """Ids of the slots the registration marked unavailable (one statement)."""
    return set(db.session.scalars(sa.select(SlotUnavailability.time_slot_id).where(
        SlotUnavailability.registration_id == registration_id)))


def set_unavailability(registration_id: int, keys: Iterable[str]) -> list[TimeSlot]:
    """Replace the registration's unavailable slots with those whose :func:`slot_key` is in
    ``keys`` (unknown keys are ignored). Creates the event's time slots first if needed.
    Returns the slots now marked. Raises :class:`MeetingError` ``not_registered`` (not
    approved or checked in), ``event_over``."""
    event_id = db.session.scalar(
        sa.select(Registration.event_id).where(Registration.id == registration_id))
    event = lock_event(event_id) if event_id is not None else None
    if event is None:
        raise MeetingError("not_registered")
    registration = db.session.execute(
        sa.select(Registration).where(Registration.id == registration_id)
        .execution_options(populate_existing=True)).scalar_one()
    if registration.status not in ATTENDING_VALUES:
        raise MeetingError("not_registered")
    if not changes_open(event):
        raise MeetingError("event_over")
    wanted = {normalise(k) for k in keys}
    slots = ensure_time_slots(event)
    chosen = [s for s in slots if slot_key(s.starts_at) in wanted]
    db.session.execute(sa.delete(SlotUnavailability).where(
        SlotUnavailability.registration_id == registration_id))
    db.session.add_all(SlotUnavailability(registration_id=registration_id, time_slot_id=s.id)
                       for s in chosen)
    db.session.flush()
    return chosen


# -- pages' queries (a fixed number of statements each) -------------------------------------

def event_and_registration(event_id: int, organisation_id: int | None
                           ) -> tuple[Event | None, Registration | None]:
    """The event and the organisation's registration there (any status; ``None`` when
    none or no organisation). One statement."""
    org_id = organisation_id if organisation_id is not None else -1
    row = db.session.execute(
        sa.select(Event, Registration).outerjoin(Registration, sa.and_(
            Registration.event_id == Event.id, Registration.organisation_id == org_id))
        .where(Event.id == event_id)).first()
    return (None, None) if row is None else (row[0], row[1])


def _participant_search(q: str):
    key = fold(q)
    if not key:
        return None
    product_match = (sa.select(registration_products.c.product_id)
                     .join(Product, Product.id == registration_products.c.product_id)
                     .where(registration_products.c.registration_id == Registration.id,
                            Product.name_key.contains(key, autoescape=True))
                     .exists())
    return sa.or_(Organisation.name_key.contains(key, autoescape=True), product_match)


def participant_page(event_id: int, side: str | None, q: str, page: int,
                     per_page: int = 25) -> tuple[Page, dict[int, int]]:
    """Approved and checked-in registrations of the event (of ``side`` only, when given)
    whose organisation name or a registered product's name contains ``q`` (accent-
    insensitive), with their organisations; ordered by organisation name (Vietnamese order
    within the page). Returns the page and ``{registration_id: open meetings}`` for its rows.
    One statement (two for a page past the end)."""
    open_meetings = (sa.select(sa.func.count(Meeting.id)).where(
        Meeting.status.in_(OPEN_VALUES),
        sa.or_(Meeting.producer_registration_id == Registration.id,
               Meeting.distributor_registration_id == Registration.id))
        .correlate(Registration).scalar_subquery())

    def where(stmt):
        stmt = stmt.join(Registration.organisation).where(
            Registration.event_id == event_id, Registration.status.in_(ATTENDING_VALUES))
        if side:
            stmt = stmt.where(Registration.side == side)
        condition = _participant_search(q)
        return stmt if condition is None else stmt.where(condition)

    stmt = (where(sa.select(Registration, open_meetings.label("open"),
                            sa.func.count().over().label("total")))
            .options(contains_eager(Registration.organisation))
            .order_by(Organisation.name_key, Registration.id)
            .limit(per_page).offset((page - 1) * per_page))
    rows = db.session.execute(stmt).all()
    if rows:
        items = sorted((row[0] for row in rows),
                       key=lambda r: (sort_key(r.organisation.name), r.id))
        return (Page(items, page, per_page, rows[0].total),
                {row[0].id: row.open for row in rows})
    total = 0 if page == 1 else db.session.scalar(
        where(sa.select(sa.func.count(Registration.id))))
    return Page([], page, per_page, total or 0), {}


def offers(registration_ids: Iterable[int]) -> dict[int, list[str]]:
    """``{registration_id: [names of the products or titles of the needs it brings]}``,
    each list in Vietnamese order. One statement (none for no ids)."""
    ids = list(registration_ids)
    if not ids:
        return {}
    products = (sa.select(registration_products.c.registration_id, Product.name.label("t"))
                .join(Product, Product.id == registration_products.c.product_id)
                .where(registration_products.c.registration_id.in_(ids)))
    needs = (sa.select(registration_needs.c.registration_id, SourcingNeed.title.label("t"))
             .join(SourcingNeed, SourcingNeed.id == registration_needs.c.sourcing_need_id)
             .where(registration_needs.c.registration_id.in_(ids)))
    found: dict[int, list[str]] = {}
    for rid, title in db.session.execute(sa.union_all(products, needs)):
        found.setdefault(rid, []).append(title)
    return {rid: sorted(titles, key=sort_key) for rid, titles in found.items()}


def meetings_with(registration: Registration) -> dict[int, Meeting]:
    """``{counterpart registration id: meeting}`` for the registration's meetings: the
    open one when there is one, else the latest. One statement."""
    mine = (Meeting.producer_registration_id if registration.side == "producer"
            else Meeting.distributor_registration_id)
    other = (Meeting.distributor_registration_id if registration.side == "producer"
             else Meeting.producer_registration_id)
    found: dict[int, Meeting] = {}
    for meeting, other_id in db.session.execute(
            sa.select(Meeting, other).where(mine == registration.id).order_by(Meeting.id)):
        current = found.get(other_id)
        if current is None or current.status not in OPEN_VALUES:
            found[other_id] = meeting
    return found


def organisation_meetings(organisation_id: int, closed_limit: int = 50
                          ) -> tuple[list[Meeting], list[Meeting]]:
    """The organisation's meetings at every event: ``(open, closed)``. Open ones (all;
    bounded by the caps) by event start then id; the latest ``closed_limit`` declined or
    cancelled ones, newest first. Each with its event, slot and both registrations'
    organisations. Two statements."""
    mine = sa.or_(
        Meeting.producer_registration_id.in_(
            sa.select(Registration.id).where(Registration.organisation_id == organisation_id)),
        Meeting.distributor_registration_id.in_(
            sa.select(Registration.id).where(Registration.organisation_id == organisation_id)))
    options = (
        joinedload(Meeting.event),
        joinedload(Meeting.time_slot),
        joinedload(Meeting.producer_registration).joinedload(Registration.organisation),
        joinedload(Meeting.distributor_registration).joinedload(Registration.organisation))
    open_rows = list(db.session.scalars(
        sa.select(Meeting).join(Meeting.event).where(mine, Meeting.status.in_(OPEN_VALUES))
        .options(*options).order_by(Event.starts_at, Meeting.id)))
    closed_rows = list(db.session.scalars(
        sa.select(Meeting).where(mine, Meeting.status.not_in(OPEN_VALUES))
        .options(*options).order_by(Meeting.updated_at.desc(), Meeting.id.desc())
        .limit(closed_limit)))
    return open_rows, closed_rows


def slots_with_marks(event: Event, registration_id: int | None
                     ) -> tuple[list[tuple[datetime, datetime]], set[str], bool]:
    """The event's slots for the availability page: ``(times, marked keys, stored)``.

    ``times`` are the stored slots' ``(starts_at, ends_at)`` or, when none are stored yet
    or the sessions changed since (the next save refreshes them), those the sessions give;
    ``marked`` the :func:`slot_key` of the slots the registration marked unavailable.
    One statement (two when the sessions must be read).
    """
    rows = db.session.execute(
        sa.select(TimeSlot, SlotUnavailability.registration_id)
        .outerjoin(SlotUnavailability, sa.and_(
            SlotUnavailability.time_slot_id == TimeSlot.id,
            SlotUnavailability.registration_id == (registration_id or -1)))
        .where(TimeSlot.event_id == event.id).order_by(TimeSlot.position)).all()
    stored = [(slot.starts_at, slot.ends_at) for slot, _r in rows]
    marked = {slot_key(slot.starts_at) for slot, rid in rows if rid is not None}
    wanted = wanted_slot_times(event)
    if stored == wanted or (stored and _placed_anywhere(event.id)):
        return stored, marked, True
    return wanted, marked & {slot_key(s) for s, _e in wanted}, False


def _placed_anywhere(event_id: int) -> bool:
    # Stored slots that differ from the sessions stay while a meeting is placed in them
    # (ensure_time_slots keeps them too); without placed meetings the page shows the new ones.
    return bool(db.session.scalar(sa.select(sa.exists().where(
        Meeting.event_id == event_id, Meeting.time_slot_id.is_not(None)))))


def unavailable_by_slot(event_id: int) -> list[tuple[TimeSlot, list[str]]]:
    """For staff: each stored slot of the event with the names of the organisations that
    marked it unavailable (Vietnamese order). One statement."""
    rows = db.session.execute(
        sa.select(TimeSlot, Organisation.name)
        .outerjoin(SlotUnavailability, SlotUnavailability.time_slot_id == TimeSlot.id)
        .outerjoin(Registration, Registration.id == SlotUnavailability.registration_id)
        .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
        .where(TimeSlot.event_id == event_id).order_by(TimeSlot.position)).all()
    result: dict[int, tuple[TimeSlot, list[str]]] = {}
    for slot, name in rows:
        entry = result.setdefault(slot.id, (slot, []))
        if name is not None:
            entry[1].append(name)
    for _slot, names in result.values():
        names.sort(key=sort_key)
    return list(result.values())


def request_targets(viewer_organisation_id: int | None, producer_organisation_id: int
                    ) -> list[tuple[int, str, int]]:
    """Where the viewer's organisation may ask a producer for a meeting: ``[(event id,
    event title, the producer's registration id)]`` for upcoming events still taking
    requests at which the viewer is an approved distributor and the producer an approved
    producer; soonest first. One statement (none without an organisation or for the
    producer itself)."""
    if viewer_organisation_id is None or viewer_organisation_id == producer_organisation_id:
        return []
    mine, theirs = aliased(Registration), aliased(Registration)
    rows = db.session.execute(
        sa.select(Event.id, Event.title, theirs.id)
        .join(mine, mine.event_id == Event.id).join(theirs, theirs.event_id == Event.id)
        .where(mine.organisation_id == viewer_organisation_id,
               mine.side == "distributor", mine.status.in_(ATTENDING_VALUES),
               theirs.organisation_id == producer_organisation_id,
               theirs.side == "producer", theirs.status.in_(ATTENDING_VALUES),
               Event.status.in_([s.value for s in LIVE_EVENT]), Event.starts_at > utcnow())
        .order_by(Event.starts_at, Event.id))
    return [(event_id, title, reg_id) for event_id, title, reg_id in rows]
