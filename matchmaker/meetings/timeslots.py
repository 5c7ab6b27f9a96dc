"""An event's stored time slots (:class:`TimeSlot` rows), made from its sessions on demand.

Slots are cut by :func:`matchmaker.meetings.slots.slot_times` from the event's sessions,
meeting length and break. They are stored the first time someone needs them (a participant
saving its unavailability, the organiser building the schedule) and brought back in step
with the event when its sessions or meeting lengths changed, as long as no meeting is
placed in any of them. A slot whose times did not change keeps its id, so unavailability
already ticked for it survives an edit elsewhere in the day.
"""

import sqlalchemy as sa

from matchmaker.events.models import Event
from matchmaker.extensions import db
from matchmaker.meetings.models import Meeting, SlotUnavailability, TimeSlot
from matchmaker.meetings.slots import slot_times

# Positions are renumbered in two steps (out of the way, then into place) so that the
# UNIQUE (event_id, position) never sees two slots on one position during the flush.
_PARKING = 16000


def wanted_slot_times(event: Event) -> list[tuple]:
    """``[(starts_at, ends_at), …]`` the event's sessions give today (aware UTC, no I/O
    beyond loading ``event.sessions``)."""
    return slot_times([(s.starts_at, s.ends_at) for s in event.sessions],
                      event.meeting_minutes, event.break_minutes)


def ensure_time_slots(event: Event) -> list[TimeSlot]:
    """The event's :class:`TimeSlot` rows in time order, created or refreshed if needed.

    * No slots yet: they are made from the sessions and flushed.
    * Slots exist and match the sessions: returned as they are.
    * Slots exist but the sessions, meeting length or break changed since: if no meeting
      is placed in any slot, slots with unchanged times are kept (with their
      unavailability), the others deleted and new ones added, and positions renumbered;
      if a meeting is placed, the stored slots are returned unchanged (the schedule must
      be cleared first — the organiser's schedule page says so).

    Call it while holding the event's lock (:func:`matchmaker.events.registration.lock_event`)
    so that two requests cannot create the same slots at once. Flushes, never commits.
    An event without sessions has no slots (``[]``).
    """
    existing = list(db.session.scalars(
        sa.select(TimeSlot).where(TimeSlot.event_id == event.id)
        .order_by(TimeSlot.position)))
    wanted = wanted_slot_times(event)
    if [(s.starts_at, s.ends_at) for s in existing] == wanted:
        return existing
    if existing and db.session.scalar(
            sa.select(sa.exists().where(
                Meeting.time_slot_id.in_([s.id for s in existing])))):
        return existing

    by_times = {(s.starts_at, s.ends_at): s for s in existing}
    wanted_set = set(wanted)
    stale = [s for s in existing if (s.starts_at, s.ends_at) not in wanted_set]
    if stale:
        stale_ids = [s.id for s in stale]
        db.session.execute(sa.delete(SlotUnavailability)
                           .where(SlotUnavailability.time_slot_id.in_(stale_ids)))
        for slot in stale:
            db.session.delete(slot)
        db.session.flush()
    kept = [s for s in existing if (s.starts_at, s.ends_at) in wanted_set]
    for slot in kept:
        slot.position += _PARKING
    db.session.flush()

    slots = []
    for position, (starts_at, ends_at) in enumerate(wanted):
        slot = by_times.get((starts_at, ends_at))
        if slot is None:
            slot = TimeSlot(event_id=event.id, starts_at=starts_at, ends_at=ends_at)
            db.session.add(slot)
        slot.position = position
        slots.append(slot)
    db.session.flush()
    return slots
