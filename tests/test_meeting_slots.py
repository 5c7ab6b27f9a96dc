"""Cutting an event's sessions into meeting slots."""

from datetime import UTC, datetime

import pytest

from matchmaker.meetings.slots import slot_times


def at(hour, minute=0):
    return datetime(2026, 12, 30, hour, minute, tzinfo=UTC)


def test_a_session_is_cut_into_meetings_with_breaks_and_no_slot_overruns_its_end():
    slots = slot_times([(at(1, 30), at(4, 30))], 20, 5)
    assert [s.strftime("%H:%M") for s, _e in slots] == [
        "01:30", "01:55", "02:20", "02:45", "03:10", "03:35", "04:00"]
    assert all((e - s).seconds == 20 * 60 for s, e in slots)
    assert slots[-1][1] <= at(4, 30)


def test_sessions_in_any_order_give_slots_in_time_order():
    morning, afternoon = (at(1, 30), at(2, 30)), (at(6, 30), at(7, 0))
    slots = slot_times([afternoon, morning], 30, 0)
    assert [s for s, _e in slots] == [at(1, 30), at(2, 0), at(6, 30)]


def test_a_session_shorter_than_a_meeting_gives_no_slot_and_bad_lengths_are_refused():
    assert slot_times([(at(1), at(1, 10))], 20, 5) == []
    with pytest.raises(ValueError):
        slot_times([(at(1), at(2))], 0, 5)
