from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchmaker import timeutil
from matchmaker.timeutil import (
    VN_TZ,
    ensure_utc,
    format_local,
    format_local_date,
    format_local_short,
    local_to_utc,
    to_local,
    utcnow,
)

# 2025-03-01 02:30 UTC is 09:30 the same day in Vietnam.
INSTANT = datetime(2025, 3, 1, 2, 30, tzinfo=UTC)


def test_vn_tz_is_utc_plus_seven():
    assert VN_TZ.key == "Asia/Ho_Chi_Minh"
    assert datetime(2025, 7, 1, tzinfo=VN_TZ).utcoffset() == timedelta(hours=7)
    assert datetime(2025, 1, 1, tzinfo=VN_TZ).utcoffset() == timedelta(hours=7)


def test_utcnow_is_aware_utc_and_current():
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_ensure_utc():
    assert ensure_utc(datetime(2025, 3, 1, 2, 30)) == INSTANT
    assert ensure_utc(datetime(2025, 3, 1, 2, 30)).tzinfo is UTC
    local = datetime(2025, 3, 1, 9, 30, tzinfo=VN_TZ)
    assert ensure_utc(local) == INSTANT
    assert ensure_utc(local).hour == 2
    assert ensure_utc(local).tzinfo is UTC


def test_to_local_aware_and_naive():
    local = to_local(INSTANT)
    assert (local.year, local.month, local.day, local.hour, local.minute) == (2025, 3, 1, 9, 30)
    assert local.tzinfo is VN_TZ
    # Naive means UTC (storage convention).
    assert to_local(datetime(2025, 3, 1, 2, 30)) == local
    assert to_local(datetime(2025, 3, 1, 2, 30)).hour == 9


def test_to_local_crosses_midnight():
    late = datetime(2025, 3, 1, 20, 0, tzinfo=UTC)
    assert to_local(late).date() == date(2025, 3, 2)
    assert to_local(late).hour == 3


def test_local_to_utc_naive_is_vietnam_wall_time():
    result = local_to_utc(datetime(2025, 3, 1, 9, 30))
    assert result == INSTANT
    assert result.tzinfo is UTC
    assert result.hour == 2


def test_local_to_utc_aware_input_keeps_its_zone():
    tokyo = timezone(timedelta(hours=9))
    result = local_to_utc(datetime(2025, 3, 1, 11, 30, tzinfo=tokyo))
    assert result == INSTANT
    assert result.tzinfo is UTC


@pytest.mark.parametrize("func", [ensure_utc, to_local, local_to_utc])
def test_rejects_non_datetime(func):
    with pytest.raises(TypeError):
        func(date(2025, 3, 1))
    with pytest.raises(TypeError):
        func("2025-03-01T02:30:00")


naive_datetimes = st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2100, 1, 1))


@given(naive_datetimes)
def test_local_round_trip(wall):
    utc = local_to_utc(wall)
    assert utc.tzinfo is UTC
    assert to_local(utc).replace(tzinfo=None) == wall
    assert utc + timedelta(hours=7) == wall.replace(tzinfo=UTC)


@given(naive_datetimes)
def test_ensure_utc_is_idempotent(dt):
    once = ensure_utc(dt)
    assert ensure_utc(once) == once
    assert ensure_utc(to_local(once)) == once


def test_format_local_vi():
    # Exact Babel 2.18 (CLDR) output.
    assert format_local(INSTANT) == "09:30:00 1 thg 3, 2025"
    assert format_local(INSTANT, format="short") == "09:30 1/3/25"
    assert format_local(INSTANT, format="HH:mm dd/MM/yyyy") == "09:30 01/03/2025"
    assert format_local(datetime(2025, 3, 1, 2, 30)) == "09:30:00 1 thg 3, 2025"


def test_format_local_en():
    assert format_local(INSTANT, locale="en") == "Mar 1, 2025, 9:30:00\u202fAM"


def test_format_local_none_and_type_errors():
    assert format_local(None) == ""
    with pytest.raises(TypeError):
        format_local(date(2025, 3, 1))


def test_format_local_date():
    assert format_local_date(INSTANT) == "1 thg 3, 2025"
    assert format_local_date(INSTANT, format="short") == "1/3/25"
    assert format_local_date(INSTANT, locale="en") == "Mar 1, 2025"
    assert format_local_date(INSTANT, format="full") == "Thứ Bảy, 1 tháng 3, 2025"
    # 20:00 UTC on 1 March is already 2 March in Vietnam.
    assert format_local_date(datetime(2025, 3, 1, 20, 0, tzinfo=UTC)) == "2 thg 3, 2025"
    assert format_local_date(date(2025, 3, 1)) == "1 thg 3, 2025"
    assert format_local_date(None) == ""
    with pytest.raises(TypeError):
        format_local_date("2025-03-01")


def test_module_does_not_use_pytz_or_naive_utcnow():
    import inspect

    source = inspect.getsource(timeutil)
    code_only = source.split('"""', 2)[2]  # skip the module docstring, which names them
    assert "pytz" not in code_only
    assert ".utcnow(" not in code_only


def test_pages_show_instants_to_the_minute_in_one_shape():
    assert format_local_short(INSTANT) == "09:30 01/03/2025"
    assert format_local_short(INSTANT, "en") == "1 Mar 2025, 09:30"
    assert format_local_short(None) == ""
