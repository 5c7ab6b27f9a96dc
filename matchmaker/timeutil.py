"""Time zone rules: store UTC, show Vietnam local time (Asia/Ho_Chi_Minh).

Convention for the whole app: every ``datetime`` that is stored or compared is *aware* and in
UTC. A *naive* ``datetime`` coming from storage (e.g. a database driver that drops the zone)
is taken to be UTC; a naive ``datetime`` typed into a form is Vietnamese wall-clock time and
must go through :func:`local_to_utc`. Vietnam has used UTC+07:00 without daylight saving
since 1975 (IANA tz database, zone ``Asia/Ho_Chi_Minh``), so wall times are never ambiguous
for event dates. The zone data comes from the system or the ``tzdata`` package.

Never use ``pytz`` or ``datetime.utcnow()`` (which returns a naive value).
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

__all__ = [
    "VN_TZ",
    "ensure_utc",
    "format_local",
    "format_local_date",
    "local_to_utc",
    "to_local",
    "utcnow",
]

#: Vietnam's time zone (UTC+07:00, no DST), from the IANA tz database.
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _require_datetime(dt: object, func: str) -> datetime:
    if not isinstance(dt, datetime):
        raise TypeError(f"{func} expects a datetime, not {type(dt).__name__}")
    return dt


def utcnow() -> datetime:
    """Return the current instant as an aware ``datetime`` with ``tzinfo=datetime.UTC``."""
    return datetime.now(UTC)


def ensure_utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC ``datetime`` (same instant).

    Naive input is assumed to already be UTC (the storage convention) and only gets
    ``tzinfo=UTC`` attached; aware input in any zone is converted.

    Raises:
        TypeError: if ``dt`` is not a ``datetime`` (a plain ``date`` has no instant).
    """
    dt = _require_datetime(dt, "ensure_utc")
    if dt.tzinfo is None or dt.utcoffset() is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def to_local(dt: datetime) -> datetime:
    """Return the same instant as an aware ``datetime`` in :data:`VN_TZ`.

    Naive input is treated as UTC (see :func:`ensure_utc`), e.g. naive 2025-03-01 02:30
    -> 2025-03-01 09:30+07:00.

    Raises:
        TypeError: if ``dt`` is not a ``datetime``.
    """
    return ensure_utc(_require_datetime(dt, "to_local")).astimezone(VN_TZ)


def local_to_utc(dt: datetime) -> datetime:
    """Convert Vietnamese wall-clock time (e.g. from a form) to an aware UTC ``datetime``.

    Naive input means wall time in Asia/Ho_Chi_Minh: 2025-03-01 09:30 -> 02:30 UTC.
    Aware input is simply converted to UTC (its own zone wins).

    Raises:
        TypeError: if ``dt`` is not a ``datetime``.
    """
    dt = _require_datetime(dt, "local_to_utc")
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=VN_TZ)
    return dt.astimezone(UTC)


def format_local(dt: datetime | None, locale: str = "vi", format: str = "medium") -> str:
    """Format an instant as Vietnamese local date and time with ``babel.dates``.

    ``dt`` follows the :func:`ensure_utc` convention (naive = UTC). ``format`` is a Babel
    width ("short", "medium", "long", "full") or a CLDR pattern such as "HH:mm dd/MM/yyyy".
    Output with Babel 2.18 for 2025-03-01 02:30 UTC: "09:30:00 1 thg 3, 2025" (vi, medium),
    "Mar 1, 2025, 9:30:00\\u202fAM" (en, medium; note the NARROW NO-BREAK SPACE U+202F).
    ``None`` gives ``""`` so templates can pass nullable columns.

    Raises:
        TypeError: if ``dt`` is not a ``datetime`` or ``None``.
        babel.core.UnknownLocaleError: for an unknown locale.
    """
    if dt is None:
        return ""
    return format_datetime(ensure_utc(dt), format=format, tzinfo=VN_TZ, locale=locale)


# What pages show: the minute is enough, and one shape everywhere (Babel's "medium" adds
# seconds and spells months differently per page).
SHORT_PATTERNS = {"vi": "HH:mm dd/MM/yyyy", "en": "d MMM yyyy, HH:mm"}


def format_local_short(dt: datetime | None, locale: str = "vi") -> str:
    """An instant as pages show it, in Vietnam time to the minute.

    2025-03-01 02:30 UTC gives "09:30 01/03/2025" (vi) and "1 Mar 2025, 09:30" (en); other
    locales get the Vietnamese pattern. ``None`` gives ``""``. Raises like
    :func:`format_local`.
    """
    return format_local(dt, locale, SHORT_PATTERNS.get(locale, SHORT_PATTERNS["vi"]))


def format_local_date(
    dt: datetime | date | None, locale: str = "vi", format: str = "medium"
) -> str:
    """Format the Vietnamese *local* calendar date of an instant with ``babel.dates``.

    A ``datetime`` is converted with :func:`to_local` first (naive = UTC), so 2025-03-01
    20:00 UTC is shown as 2 March. A plain ``date`` has no zone and is formatted as is.
    ``format`` is a Babel width or CLDR pattern. Output with Babel 2.18 for 1 March 2025:
    "1 thg 3, 2025" (vi, medium), "1/3/25" (vi, short), "Mar 1, 2025" (en, medium).
    ``None`` gives ``""``.

    Raises:
        TypeError: if ``dt`` is not a ``date``/``datetime`` or ``None``.
        babel.core.UnknownLocaleError: for an unknown locale.
    """
    if dt is None:
        return ""
    if isinstance(dt, datetime):
        day = to_local(dt).date()
    elif isinstance(dt, date):
        day = dt
    else:
        raise TypeError(f"format_local_date expects a date or datetime, not {type(dt).__name__}")
    return format_date(day, format=format, locale=locale)
