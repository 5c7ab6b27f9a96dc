"""An event's meeting time slots, from its sessions, meeting length and break.

Each session (e.g. 08:30–11:30) is cut into slots of ``meeting_minutes``, one every
``meeting_minutes + break_minutes``; a slot that would run past the session's end is not
made. With 20-minute meetings and 5-minute breaks, 08:30–11:30 gives 08:30, 08:55, …, 11:00
(7 slots).
"""

from collections.abc import Iterable
from datetime import datetime, timedelta


def slot_times(sessions: Iterable[tuple[datetime, datetime]], meeting_minutes: int,
               break_minutes: int) -> list[tuple[datetime, datetime]]:
    """``[(starts_at, ends_at), …]`` in time order (aware UTC in, aware UTC out).

    ``sessions`` are ``(start, end)`` pairs in any order; overlapping sessions are the
    caller's error (the event form refuses them). ``meeting_minutes`` must be positive.
    Raises ``ValueError`` otherwise.
    """
    if meeting_minutes <= 0 or break_minutes < 0:
        raise ValueError("meeting_minutes must be > 0 and break_minutes >= 0")
    length = timedelta(minutes=meeting_minutes)
    step = timedelta(minutes=meeting_minutes + break_minutes)
    slots = []
    for start, end in sorted(sessions):
        at = start
        while at + length <= end:
            slots.append((at, at + length))
            at += step
    return slots
