"""The organiser's meeting schedule for one event: generate, adjust by hand, publish, and
record what happened on the day (DESIGN §4, issue 5 items 4-5).

The algorithm is :func:`matchmaker.meetings.scheduler.schedule` (pure); this module loads an
event's meetings, time slots, tables and unavailability, calls it, and writes the result to
the :class:`~matchmaker.meetings.models.Meeting` rows. Every change runs under the event's
lock (:func:`matchmaker.events.registration.lock_event`), so two organisers acting at once
are serialised; the UNIQUE constraints on participant × slot and slot × table are the
backstop and any :class:`~sqlalchemy.exc.IntegrityError` becomes a
:class:`ScheduleError` (``conflict``). Functions flush, never commit.

Lifecycle (``Event.schedule_status``): ``none`` → ``provisional`` (generated; only staff
see it, generating again replaces it) → ``published`` (participants see it on their
agendas; it changes only by explicit moves and swaps, each of which notifies both sides,
or by placing meetings accepted since, around the published ones).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from matchmaker.events.models import Event, Registration
from matchmaker.events.registration import lock_event
from matchmaker.extensions import db
from matchmaker.history import Subject, change_status
from matchmaker.meetings import scheduler
from matchmaker.meetings.models import (
    PLACED,
    Meeting,
    MeetingStatus,
    ScheduleStatus,
    SlotUnavailability,
    TimeSlot,
)
from matchmaker.meetings.timeslots import ensure_time_slots
from matchmaker.timeutil import utcnow

S = MeetingStatus
# Meetings the schedule is about: accepted ones wait for a place, the others have one.
SCHEDULABLE = frozenset({S.ACCEPTED}) | PLACED
# A held or no-show meeting has happened: it is history and does not move.
MOVABLE = frozenset({S.ACCEPTED, S.SCHEDULED})
# Outcomes an organiser records on the day, and "scheduled" to undo one.
OUTCOMES = (S.HELD, S.NO_SHOW)

# Reason (beside scheduler.REASONS) for an accepted meeting the current schedule could
# still take: it was accepted after the schedule was made.
NOT_SCHEDULED_YET = "not_scheduled_yet"


class ScheduleError(Exception):
    """A schedule change refused. ``code``: ``no_slots`` (the event has no sessions),
    ``published`` (generating again once published), ``not_published`` (outcome before
    publication), ``wrong_event``, ``not_placed``, ``not_schedulable``, ``bad_slot``,
    ``bad_table``, ``table_taken``, ``nothing_placed`` (publishing an empty schedule),
    ``party_busy``, ``unavailable``, ``same_meeting``,
    ``transition``, ``conflict`` (the database refused a double booking: someone else
    changed the schedule at the same moment). ``params`` name what clashed (for the
    message)."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# ------------------------------------------------------------------------ loading


def schedule_meetings(event_id: int) -> list[Meeting]:
    """The event's accepted and placed meetings, with both registrations and their
    organisations (one statement), in id order."""
    return list(db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.event_id == event_id,
               Meeting.status.in_([s.value for s in SCHEDULABLE]))
        .options(joinedload(Meeting.producer_registration)
                 .joinedload(Registration.organisation),
                 joinedload(Meeting.distributor_registration)
                 .joinedload(Registration.organisation))
        .order_by(Meeting.id)).unique())


def stored_slots(event_id: int) -> list[TimeSlot]:
    """The event's stored time slots in time order (one statement; none made here)."""
    return list(db.session.scalars(
        sa.select(TimeSlot).where(TimeSlot.event_id == event_id)
        .order_by(TimeSlot.position)))


def unavailability(event_id: int) -> dict[int, set[int]]:
    """``{registration_id: {time_slot_id, …}}`` marked unavailable at the event (one
    statement)."""
    marked: dict[int, set[int]] = defaultdict(set)
    rows = db.session.execute(
        sa.select(SlotUnavailability.registration_id, SlotUnavailability.time_slot_id)
        .join(TimeSlot, TimeSlot.id == SlotUnavailability.time_slot_id)
        .where(TimeSlot.event_id == event_id))
    for registration_id, slot_id in rows:
        marked[registration_id].add(slot_id)
    return marked


def _tuples(meetings) -> list[tuple[int, int, int]]:
    return [(m.id, m.producer_registration_id, m.distributor_registration_id)
            for m in meetings]


def scheduler_input(meetings, index: dict[int, int], marked: dict[int, set[int]],
                    tables: int) -> tuple[list, dict, dict]:
    """``(meetings, unavailable, fixed)`` in :func:`scheduler.schedule`'s shapes.

    ``index`` maps time slot ids to positions. Placed meetings are ``fixed``. A side that
    marked a slot unavailable *after* being placed in it keeps that placement (the
    organiser sees the clash and moves it), so that mark is left out; a placement on a
    table beyond ``tables`` (the count went down) cannot be fixed, so that meeting is left
    out and its sides are treated as busy in its slot.
    """
    unavailable: dict = {}
    fixed: dict[int, tuple[int, int]] = {}
    given = []
    for m in meetings:
        for side, reg_id in ((scheduler.PRODUCER, m.producer_registration_id),
                             (scheduler.DISTRIBUTOR, m.distributor_registration_id)):
            if (side, reg_id) not in unavailable:
                unavailable[side, reg_id] = {index[s] for s in marked.get(reg_id, ())
                                             if s in index}
        if m.time_slot_id is None:
            given.append(m)
            continue
        position = index.get(m.time_slot_id)
        if position is not None and 1 <= m.table_number <= tables:
            fixed[m.id] = (position, m.table_number)
            given.append(m)
        elif position is not None:
            unavailable[scheduler.PRODUCER, m.producer_registration_id].add(position)
            unavailable[scheduler.DISTRIBUTOR, m.distributor_registration_id].add(position)
    for m in given:
        if m.id in fixed:
            position = fixed[m.id][0]
            unavailable[scheduler.PRODUCER, m.producer_registration_id].discard(position)
            unavailable[scheduler.DISTRIBUTOR, m.distributor_registration_id].discard(position)
    unavailable = {who: slots for who, slots in unavailable.items() if slots}
    return _tuples(given), unavailable, fixed


# ---------------------------------------------------------------------- the board


@dataclass
class Problem:
    """A meeting that is not (properly) placed: ``reason`` is a scheduler reason code,
    :data:`NOT_SCHEDULED_YET`, or for a placed meeting ``unavailable`` / ``bad_place``;
    ``who`` names the organisations concerned (for ``participant_full`` and
    ``unavailable``)."""

    meeting: Meeting
    reason: str
    who: list[str] = field(default_factory=list)


@dataclass
class Board:
    """What the organiser's schedule page shows (built by :func:`board`).

    ``cells[(slot_id, table)]`` is the meeting there; ``unplaced`` the accepted meetings
    without a place and why; ``conflicts`` placed meetings that now break a rule (a side
    marked the slot unavailable afterwards, or the table count went down);
    ``slots_used`` the last used slot position + 1; ``lower_bound`` max(Δ, ⌈M/T⌉) over the
    accepted and placed meetings (no schedule can use fewer slots).
    """

    event: Event
    slots: list[TimeSlot]
    meetings: list[Meeting]
    cells: dict[tuple[int, int], Meeting]
    unplaced: list[Problem]
    conflicts: list[Problem]
    slots_used: int
    lower_bound: int
    slots_stale: bool

    @property
    def tables(self) -> range:
        return range(1, self.event.table_count + 1)

    @property
    def placed_count(self) -> int:
        return len(self.cells)

    @property
    def placed(self) -> list[Meeting]:
        return [m for m in self.meetings if m.time_slot_id is not None]


def _full_parties(meetings, marked, slot_ids, reason_ids) -> dict[int, list[str]]:
    """For meetings unplaced as ``participant_full``: the organisations with more meetings
    than slots they are free in."""
    degree: dict[int, int] = defaultdict(int)
    for m in meetings:
        degree[m.producer_registration_id] += 1
        degree[m.distributor_registration_id] += 1
    found: dict[int, list[str]] = {}
    for m in meetings:
        if m.id not in reason_ids:
            continue
        names = []
        for reg in (m.producer_registration, m.distributor_registration):
            free = len(slot_ids - marked.get(reg.id, set()))
            if degree[reg.id] > free:
                names.append(reg.organisation.name)
        found[m.id] = names
    return found


def board(event: Event) -> Board:
    """Load and analyse the event's schedule: three statements (slots, meetings,
    unavailability); ``event.sessions`` should be loaded already (it is compared with the
    stored slots to warn that they no longer match)."""
    from matchmaker.meetings.timeslots import wanted_slot_times

    slots = stored_slots(event.id)
    meetings = schedule_meetings(event.id)
    marked = unavailability(event.id)
    index = {s.id: i for i, s in enumerate(slots)}
    tables = event.table_count
    cells: dict[tuple[int, int], Meeting] = {}
    conflicts: list[Problem] = []
    for m in meetings:
        if m.time_slot_id is None:
            continue
        cells[m.time_slot_id, m.table_number] = m
        who = [reg.organisation.name
               for reg in (m.producer_registration, m.distributor_registration)
               if m.time_slot_id in marked.get(reg.id, ())]
        if who:
            conflicts.append(Problem(m, "unavailable", who))
        elif m.time_slot_id not in index or m.table_number > tables:
            conflicts.append(Problem(m, "bad_place"))
    waiting = [m for m in meetings if m.time_slot_id is None]
    unplaced: list[Problem] = []
    if waiting and slots:
        # What the scheduler would say now, around the current placements: meetings it
        # could still place were accepted after the schedule was made.
        given, unavailable, fixed = scheduler_input(meetings, index, marked, tables)
        result = scheduler.schedule(given, tables, len(slots), unavailable, fixed)
        reasons = dict(result.unplaced)
        # Around fixed meetings the scheduler sees "no common slot" where the root cause is
        # an over-full participant: name that one, as generating did.
        full = _full_parties(meetings, marked, set(index), set(reasons))
        for m in waiting:
            reason = reasons.get(m.id, NOT_SCHEDULED_YET)
            if reason != NOT_SCHEDULED_YET and full.get(m.id):
                reason = scheduler.PARTICIPANT_FULL
            unplaced.append(Problem(m, reason,
                                    full.get(m.id, []) if reason == scheduler.PARTICIPANT_FULL
                                    else []))
    else:
        # No slots stored yet means "not generated yet", unless the sessions cannot hold a
        # single meeting.
        wanted = wanted_slot_times(event)
        unplaced = [Problem(m, NOT_SCHEDULED_YET if (slots or wanted)
                            else scheduler.NO_SLOT_LEFT) for m in waiting]
    used = max((index[m.time_slot_id] for m in meetings
                if m.time_slot_id in index), default=-1) + 1
    # Stored slots that no longer match the sessions: the schedule must be generated again.
    stale = bool(slots) and [(s.starts_at, s.ends_at) for s in slots] != wanted_slot_times(event)
    return Board(event=event, slots=slots, meetings=meetings, cells=cells, unplaced=unplaced,
                 conflicts=conflicts, slots_used=used,
                 lower_bound=scheduler.lower_bound(_tuples(meetings), tables),
                 slots_stale=stale)


# --------------------------------------------------------------------- generating


@dataclass
class Generated:
    """The outcome of :func:`generate`: how many meetings ``placed`` in all (including
    kept ones), ``newly_placed`` meetings (placed by this run), ``unplaced`` as
    ``(meeting, reason code, organisation names)``, ``slots_used``, ``lower_bound``
    (max(Δ, ⌈M/T⌉)) and ``slot_count`` (the slots available)."""

    placed: int
    newly_placed: list[Meeting]
    unplaced: list[Problem]
    slots_used: int
    lower_bound: int
    slot_count: int


def _flush_or_conflict() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise ScheduleError("conflict") from error


def generate(event_id: int, by_user_id: int | None, place_new: bool = False) -> Generated:
    """Build the event's schedule and write it (status ``provisional`` unless published).

    Before publication every accepted or scheduled meeting is placed afresh (the previous
    provisional placement is replaced) and the slots are first brought in step with the
    event's sessions. Once published this raises ``ScheduleError("published")`` unless
    ``place_new``: then the placed meetings stay where they are and only the accepted
    ones are placed around them, and both sides of each newly placed meeting are told.
    Raises ``ScheduleError("no_slots")`` when the event has no slots (no sessions) and
    ``ScheduleError("conflict")`` if the database refuses the result. Status changes
    (accepted ↔ scheduled) are recorded in the history, by ``by_user_id``.
    """
    event = lock_event(event_id)
    if event is None:
        raise ScheduleError("wrong_event")
    published = event.schedule_status == ScheduleStatus.PUBLISHED
    if published and not place_new:
        raise ScheduleError("published")
    meetings = schedule_meetings(event.id)
    before = {m.id: m.status for m in meetings}
    if not published:
        # Free every provisional place first: the new placement may reuse any cell, and
        # the slots can only follow the sessions while no meeting sits in one.
        for m in meetings:
            if m.status == S.SCHEDULED:
                m.status, m.time_slot_id, m.table_number = S.ACCEPTED.value, None, None
        _flush_or_conflict()
    slots = ensure_time_slots(event)
    if not slots:
        raise ScheduleError("no_slots")
    index = {s.id: i for i, s in enumerate(slots)}
    marked = unavailability(event.id)
    given, unavailable, fixed = scheduler_input(meetings, index, marked, event.table_count)
    try:
        result = scheduler.schedule(given, event.table_count, len(slots), unavailable, fixed)
    except ValueError as error:  # fixed meetings that clash: cannot happen with the UNIQUEs
        raise ScheduleError("conflict", detail=str(error)) from error
    problems = scheduler.validate(result, given, event.table_count, len(slots), unavailable,
                                  fixed)
    if problems:  # never write a schedule that breaks a rule
        raise ScheduleError("conflict", detail="; ".join(problems[:3]))

    newly: list[Meeting] = []
    for m in meetings:
        place = result.placed.get(m.id)
        if place is None or m.id in fixed:
            continue
        slot, table = place
        m.time_slot_id, m.table_number = slots[slot].id, table
        if before[m.id] == S.SCHEDULED:
            m.status = S.SCHEDULED.value  # placed again: no change to record
        else:
            change_status(m, Subject.MEETING, S.SCHEDULED, by_user_id)
            newly.append(m)
    by_id = {m.id: m for m in meetings}
    unplaced_ids = {mid for mid, _r in result.unplaced}
    for m in meetings:
        if m.id in unplaced_ids and before[m.id] == S.SCHEDULED:
            # It had a provisional place and lost it: record scheduled → accepted.
            m.status = S.SCHEDULED.value
            change_status(m, Subject.MEETING, S.ACCEPTED, by_user_id,
                          note="not placed when the schedule was generated again")
    _flush_or_conflict()
    if not published:
        event.schedule_status = ScheduleStatus.PROVISIONAL.value
    else:
        from matchmaker.meetings import schedule_notify

        for m in newly:
            schedule_notify.meeting_changed(m, event, slots[result.placed[m.id][0]],
                                            "meeting.scheduled")
    db.session.flush()
    full = _full_parties(meetings, marked, set(index),
                         {mid for mid, r in result.unplaced
                          if r == scheduler.PARTICIPANT_FULL})
    return Generated(
        placed=len(result.placed), newly_placed=newly,
        unplaced=[Problem(by_id[mid], reason, full.get(mid, []))
                  for mid, reason in result.unplaced],
        slots_used=result.slots_used, lower_bound=result.lower_bound, slot_count=len(slots))


# ------------------------------------------------------------------ manual changes


def _locked_meeting(event_id: int, meeting_id: int) -> tuple[Event, Meeting]:
    event = lock_event(event_id)
    meeting = db.session.get(Meeting, meeting_id, populate_existing=True)
    if event is None or meeting is None or meeting.event_id != event.id:
        raise ScheduleError("wrong_event")
    return event, meeting


def _check_place(event: Event, meeting: Meeting, slot: TimeSlot, table: int,
                 ignore: frozenset[int] = frozenset()) -> None:
    """Refuse a place that breaks a rule, naming the clash; ``ignore``: meetings that are
    leaving the slot in the same change (a swap)."""
    if slot.event_id != event.id:
        raise ScheduleError("bad_slot")
    if not 1 <= table <= event.table_count:
        raise ScheduleError("bad_table", tables=event.table_count)
    parties = (meeting.producer_registration_id, meeting.distributor_registration_id)
    others = db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.time_slot_id == slot.id, Meeting.id != meeting.id,
               Meeting.id.not_in(ignore) if ignore else sa.true(),
               sa.or_(Meeting.table_number == table,
                      Meeting.producer_registration_id.in_(parties),
                      Meeting.distributor_registration_id.in_(parties)))
        .options(joinedload(Meeting.producer_registration)
                 .joinedload(Registration.organisation),
                 joinedload(Meeting.distributor_registration)
                 .joinedload(Registration.organisation))).unique().all()
    for other in others:
        if other.table_number == table:
            raise ScheduleError("table_taken", table=table, meeting=other.id)
    for other in others:
        for reg in (other.producer_registration, other.distributor_registration):
            if reg.id in parties:
                raise ScheduleError("party_busy", name=reg.organisation.name,
                                    meeting=other.id)
    blocked = db.session.scalars(
        sa.select(SlotUnavailability.registration_id)
        .where(SlotUnavailability.time_slot_id == slot.id,
               SlotUnavailability.registration_id.in_(parties))).all()
    if blocked:
        reg = (meeting.producer_registration if blocked[0] == parties[0]
               else meeting.distributor_registration)
        raise ScheduleError("unavailable", name=reg.organisation.name)


def move(event_id: int, meeting_id: int, slot_id: int, table: int,
         by_user_id: int | None) -> Meeting:
    """Put one accepted or placed meeting at ``table`` in time slot ``slot_id``.

    Refused (``ScheduleError``) when the table is taken in that slot, either side has
    another meeting then or marked it unavailable, the slot is another event's or the table
    does not exist; the database UNIQUEs catch what a concurrent change slipped past
    (``conflict``). An accepted meeting becomes ``scheduled`` (recorded in the history).
    After publication both sides are told.
    """
    event, meeting = _locked_meeting(event_id, meeting_id)
    if meeting.status not in MOVABLE:
        raise ScheduleError("not_schedulable")
    slot = db.session.get(TimeSlot, slot_id)
    if slot is None:
        raise ScheduleError("bad_slot")
    if (meeting.time_slot_id, meeting.table_number) == (slot.id, table):
        return meeting
    _check_place(event, meeting, slot, table)
    meeting.time_slot_id, meeting.table_number = slot.id, table
    if meeting.status == S.ACCEPTED:
        change_status(meeting, Subject.MEETING, S.SCHEDULED, by_user_id, note="placed by hand")
    _flush_or_conflict()
    if event.schedule_status == ScheduleStatus.NONE:
        event.schedule_status = ScheduleStatus.PROVISIONAL.value
    elif event.schedule_status == ScheduleStatus.PUBLISHED:
        from matchmaker.meetings import schedule_notify

        schedule_notify.meeting_changed(meeting, event, slot, "meeting.moved")
    db.session.flush()
    return meeting


def unplace(event_id: int, meeting_id: int, by_user_id: int | None) -> Meeting:
    """Take a scheduled meeting out of its slot (back to ``accepted``), e.g. to free a
    cell; an accepted one is left as it is. Only before publication (``published``): a
    published meeting moves, it does not vanish. Raises ``not_placed`` for a held or
    no-show meeting."""
    event, meeting = _locked_meeting(event_id, meeting_id)
    if event.schedule_status == ScheduleStatus.PUBLISHED:
        raise ScheduleError("published")
    if meeting.status == S.ACCEPTED:
        return meeting  # out already (a second click)
    if meeting.status != S.SCHEDULED:
        raise ScheduleError("not_placed")
    meeting.time_slot_id, meeting.table_number = None, None
    change_status(meeting, Subject.MEETING, S.ACCEPTED, by_user_id, note="taken out by hand")
    return meeting


def swap(event_id: int, first_id: int, second_id: int, by_user_id: int | None) -> None:
    """Exchange the slots and tables of two placed meetings of the event.

    Refused when either side of a meeting would then have another meeting in its new slot
    or marked it unavailable (``party_busy`` / ``unavailable``), or a meeting is not placed
    (``not_placed``). Statuses do not change. After publication both sides of both meetings
    are told.
    """
    if first_id == second_id:
        raise ScheduleError("same_meeting")
    event, first = _locked_meeting(event_id, first_id)
    _event, second = _locked_meeting(event_id, second_id)
    if first.time_slot_id is None or second.time_slot_id is None:
        raise ScheduleError("not_placed")
    if first.status not in MOVABLE or second.status not in MOVABLE:
        raise ScheduleError("not_schedulable")
    slot_a, table_a = first.time_slot, first.table_number
    slot_b, table_b = second.time_slot, second.table_number
    pair = frozenset({first.id, second.id})
    _check_place(event, first, slot_b, table_b, ignore=pair)
    _check_place(event, second, slot_a, table_a, ignore=pair)
    # Park the first meeting (no place, not "scheduled": the CHECKs want both together) so
    # that the second can take its cell; its status is put back before the end. No
    # history: neither meeting changes state.
    status_first = first.status
    first.status, first.time_slot_id, first.table_number = S.ACCEPTED.value, None, None
    _flush_or_conflict()
    second.time_slot_id, second.table_number = slot_a.id, table_a
    _flush_or_conflict()
    first.status, first.time_slot_id, first.table_number = status_first, slot_b.id, table_b
    _flush_or_conflict()
    if event.schedule_status == ScheduleStatus.PUBLISHED:
        from matchmaker.meetings import schedule_notify

        schedule_notify.meeting_changed(first, event, slot_b, "meeting.moved")
        schedule_notify.meeting_changed(second, event, slot_a, "meeting.moved")


def publish(event_id: int, by_user_id: int | None) -> int:
    """Publish the event's schedule: participants see it on their agendas, and every member
    of each organisation with a placed meeting is told (one notification each, with the
    number of meetings). Publishing again (after more meetings were placed) tells them
    again. Returns the number of placed meetings. Raises ``ScheduleError("nothing_placed")``
    when no meeting is placed."""
    event = lock_event(event_id)
    if event is None:
        raise ScheduleError("wrong_event")
    placed = db.session.scalars(
        sa.select(Meeting).where(Meeting.event_id == event.id,
                                 Meeting.status.in_([s.value for s in PLACED]))
        .options(joinedload(Meeting.producer_registration),
                 joinedload(Meeting.distributor_registration))).all()
    if not placed:
        raise ScheduleError("nothing_placed")
    event.schedule_status = ScheduleStatus.PUBLISHED.value
    event.schedule_published_at = utcnow()
    db.session.flush()
    from matchmaker.meetings import schedule_notify

    schedule_notify.schedule_published(event, placed)
    return len(placed)


def record_outcome(event_id: int, meeting_id: int, outcome: str, by_user_id: int | None,
                   note: str | None = None) -> Meeting:
    """Mark a placed meeting of the event ``held`` or ``no_show`` (or back to
    ``scheduled`` to undo), with an optional outcome note, once the schedule is published.
    Only from the event's start on: a meeting cannot have been held before it. Raises
    ``ScheduleError`` (``wrong_event``, ``not_published``, ``not_started``, ``transition``)."""
    event, meeting = _locked_meeting(event_id, meeting_id)
    if event.schedule_status != ScheduleStatus.PUBLISHED:
        raise ScheduleError("not_published")
    if utcnow() < event.starts_at:
        raise ScheduleError("not_started")
    if outcome not in {S.HELD, S.NO_SHOW, S.SCHEDULED} or meeting.status not in PLACED:
        raise ScheduleError("transition")
    note = (note or "").strip() or None
    if outcome != S.SCHEDULED:
        meeting.outcome_note = note
    else:
        meeting.outcome_note = None
    if meeting.status != outcome:
        change_status(meeting, Subject.MEETING, outcome, by_user_id, note=note)
    db.session.flush()
    return meeting
