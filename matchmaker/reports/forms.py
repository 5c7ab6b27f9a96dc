"""Reading a report's parameters from the query string (pages and the API share them).

* ``event=ID`` — one event's report; or ``from=…&to=…`` — a period of Vietnam calendar days,
  both included. Dates are ``YYYY-MM-DD`` (what ``<input type="date">`` and the API send) or
  ``dd/mm/yyyy`` (typed by hand), years 2000-2099.
* ``from_year=…&to_year=…`` — the programme view (default: the last five years).

Errors come back as ``{parameter: lazy message}`` for the page (shown next to the field) and
the API (``400 {"error": {..., "fields": {...}}}``).
"""

import re
from datetime import date

from flask_babel import lazy_gettext as _l

from matchmaker.pagination import MAX_ID
from matchmaker.reports.queries import Scope

YEARS = (2000, 2099)
#: The longest programme view, in years.
MAX_PROGRAMME_YEARS = 30
PROGRAMME_DEFAULT_YEARS = 5

MESSAGES = {
    "scope": _l("Choose an event or a period."),
    "both": _l("Choose either an event or a period, not both."),
    "event": _l("This event does not exist. Choose one from the list."),
    "from": _l("Enter the first day of the period, e.g. 01/01/2025."),
    "to": _l("Enter the last day of the period, e.g. 31/12/2025."),
    "order": _l("The period must end on or after its first day."),
    "from_year": _l("Enter a year between 2000 and 2099."),
    "to_year": _l("Enter a year between 2000 and 2099."),
    "years_order": _l("The last year must be the first year or later."),
    "years_span": _l("Choose at most 30 years."),
}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_date(text: str | None) -> date | None:
    """A day from ``YYYY-MM-DD`` or ``dd/mm/yyyy`` (also with ``.`` or ``-``), years
    2000-2099; None for anything else (empty included)."""
    text = (text or "").strip()
    if not text.isascii():
        return None
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _VN.match(text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    if not YEARS[0] <= year <= YEARS[1]:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _event_id(text: str) -> int | None:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        return None
    return int(text)


def parse_scope(args) -> tuple[Scope | None, dict]:
    """``(scope, {})`` from ``event`` or ``from`` + ``to``, else ``(None, errors)``."""
    event = (args.get("event") or "").strip()
    start_text, end_text = args.get("from") or "", args.get("to") or ""
    period_given = bool(start_text.strip() or end_text.strip())
    if event and period_given:
        return None, {"scope": MESSAGES["both"]}
    if event:
        event_id = _event_id(event)
        if event_id is None:
            return None, {"event": MESSAGES["event"]}
        return Scope(event_id=event_id), {}
    if not period_given:
        return None, {"scope": MESSAGES["scope"]}
    errors = {}
    start, end = parse_date(start_text), parse_date(end_text)
    if start is None:
        errors["from"] = MESSAGES["from"]
    if end is None:
        errors["to"] = MESSAGES["to"]
    if not errors and end < start:
        errors["to"] = MESSAGES["order"]
    if errors:
        return None, errors
    return Scope(start=start, end=end), {}


def _year(text: str | None) -> int | None:
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) != 4:
        return None
    year = int(text)
    return year if YEARS[0] <= year <= YEARS[1] else None


def parse_years(args, this_year: int) -> tuple[tuple[int, int], dict]:
    """``((first, last), errors)`` from ``from_year`` / ``to_year``; missing ones default to
    the last :data:`PROGRAMME_DEFAULT_YEARS` years up to ``this_year``. On errors the
    defaults are returned with them."""
    default = (this_year - PROGRAMME_DEFAULT_YEARS + 1, this_year)
    errors = {}
    first_text, last_text = args.get("from_year"), args.get("to_year")
    first = default[0] if not (first_text or "").strip() else _year(first_text)
    last = default[1] if not (last_text or "").strip() else _year(last_text)
    if first is None:
        errors["from_year"] = MESSAGES["from_year"]
    if last is None:
        errors["to_year"] = MESSAGES["to_year"]
    if not errors and last < first:
        errors["to_year"] = MESSAGES["years_order"]
    elif not errors and last - first + 1 > MAX_PROGRAMME_YEARS:
        errors["to_year"] = MESSAGES["years_span"]
    if errors:
        return default, errors
    return (first, last), {}
