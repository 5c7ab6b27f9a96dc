"""Small portable SQL pieces the reports need (SQLite and PostgreSQL).

* :class:`days_between` — whole days from one DATE to another: ``julianday()`` on SQLite,
  date subtraction (already an integer of days) on PostgreSQL.
* :class:`local_year` — the calendar year in Vietnam (UTC+7, no daylight saving) of a UTC
  timestamp column: ``strftime(…, '+7 hours')`` on SQLite, ``AT TIME ZONE`` on PostgreSQL.
* :class:`unindexed` — a column SQLite must not look up through an index (``+column``, its
  documented idiom): for conditions that keep most rows, a scan beats an index walk that
  fetches every row by id. Other databases get the plain column.
* :func:`middle_rows` — the condition that keeps the middle row (odd count) or the two middle
  rows (even count) of a ranking, so that a median is ``sum / count`` of what is left: no
  ``percentile_cont`` (which SQLite lacks) and no division in SQL.
"""

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class days_between(FunctionElement):  # noqa: N801 (reads like the SQL function it stands for)
    """``days_between(later, earlier)``: ``later - earlier`` in whole days (INTEGER), for
    two DATE expressions; NULL when either is NULL."""

    type = sa.Integer()
    inherit_cache = True
    name = "days_between"


@compiles(days_between)
def _days_between_default(element, compiler, **kw):
    later, earlier = list(element.clauses)
    # PostgreSQL: date - date is an integer number of days.
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    # Dates are stored as 'YYYY-MM-DD' text; julianday() of two dates differs by whole days.
    return (f"CAST(julianday({compiler.process(later, **kw)}) - "
            f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)")


class local_year(FunctionElement):  # noqa: N801
    """``local_year(ts)``: the year (INTEGER) of a UTC timestamp in Asia/Ho_Chi_Minh."""

    type = sa.Integer()
    inherit_cache = True
    name = "local_year"


@compiles(local_year)
def _local_year_default(element, compiler, **kw):
    (ts,) = list(element.clauses)
    return (f"CAST(EXTRACT(YEAR FROM ({compiler.process(ts, **kw)}) "
            f"AT TIME ZONE 'Asia/Ho_Chi_Minh') AS INTEGER)")


@compiles(local_year, "sqlite")
def _local_year_sqlite(element, compiler, **kw):
    (ts,) = list(element.clauses)
    # Stored as naive UTC text; Vietnam is UTC+7 all year.
    return f"CAST(strftime('%Y', {compiler.process(ts, **kw)}, '+7 hours') AS INTEGER)"


class unindexed(FunctionElement):  # noqa: N801
    """``unindexed(column)``: the column, kept from index lookups on SQLite."""

    inherit_cache = True
    name = "unindexed"

    @property
    def type(self):
        return list(self.clauses)[0].type


@compiles(unindexed)
def _unindexed_default(element, compiler, **kw):
    (column,) = list(element.clauses)
    return compiler.process(column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    (column,) = list(element.clauses)
    # Unary plus is a no-op on any SQLite value, and stops the planner using an index.
    return f"+{compiler.process(column, **kw)}"


def middle_rows(rank, total):
    """SQL condition on a 1-based ``rank`` among ``total`` rows: true for the median row(s).

    ``2·rank`` between ``total`` and ``total + 2`` keeps rank (n+1)/2 when n is odd and
    ranks n/2 and n/2 + 1 when n is even, so the median is the average of the kept values.
    """
    return sa.and_(2 * rank >= total, 2 * rank <= total + 2)
