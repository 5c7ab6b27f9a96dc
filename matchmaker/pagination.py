"""Safe integers from the URL: page numbers and ids never reach the database out of range.

A page number like ``?page=99999999999999999999`` would overflow SQLite's 64-bit integers
(and PostgreSQL's) and turn into a server error; these helpers clamp or refuse it first.
"""

from dataclasses import dataclass, field
from math import ceil

from flask import request
from werkzeug.routing import IntegerConverter

MAX_PAGE = 10_000
MAX_ID = 2**31 - 1  # INTEGER primary keys on both backends


class BoundedIntConverter(IntegerConverter):
    """The ``<int:…>`` URL converter, refusing values above :data:`MAX_ID` (a 404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def int_arg(name: str, default: int, minimum: int = 1, maximum: int = MAX_PAGE) -> int:
    """Query-string integer ``name`` clamped to ``[minimum, maximum]``; ``default`` when it is
    missing or not a plain decimal number."""
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return default
    if len(raw) > len(str(maximum)):  # far beyond the range: no need to convert it
        return maximum
    return max(minimum, min(maximum, int(raw)))


def page_arg() -> int:
    """The ``page`` query parameter, 1 to :data:`MAX_PAGE` (default 1)."""
    return int_arg("page", 1)


@dataclass
class Page:
    """One page of a list: ``items`` and the numbers the pager macro needs
    (``templates/_macros/pagination.html``); ``pages`` is at least 1."""

    items: list
    page: int
    per_page: int
    total: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
